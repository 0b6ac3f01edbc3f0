/* Agent console: plain JS, no build step, no network beyond this server's /v1 API.
 * Every piece of server text is put in the page with textContent, never as HTML. */
(function () {
  "use strict";

  const SUGGEST_DELAY_MS = 250;
  const CHECK_DELAY_MS = 300;
  const HEALTH_PING_MS = 10000;

  const TEXT = {
    zh: {
      title: "坐席助手", subtitle: "合规话术推荐 · 离线运行",
      segment: "客群", segmentAny: "一般客户", segElderly: "老年客户", segDisabled: "残障客户",
      segForeign: "外籍客户", segEnterprise: "企业客户",
      channel: "渠道", channelAny: "不限", chPhone: "电话", chChat: "在线", chEmail: "邮件",
      session: "会话", newSession: "新会话",
      tokenNeeded: "此服务需要访问令牌，请输入后按 Enter：",
      customerSaid: "客户说", customerHint: "输入即预览 · Enter 记入会话",
      customerPlaceholder: "例如：我的卡被冻结了，钱取不出来",
      sessionEmpty: "本次会话尚未记入问题", sessionRaised: "本次会话：",
      emptyCard: "输入客户的话，建议话术会立即出现在这里。",
      emptyKeys: "Alt+1…3 切换备选话术 · Alt+C 复制回复 · Alt+D 检查我的草稿",
      draftTitle: "我的回复草稿", draftHint: "边写边查合规问题",
      draftPlaceholder: "在这里输入您准备发给客户的回复",
      keyCustomer: "客户说", keyCommit: "记入会话", keyCandidates: "备选话术", keyCopy: "复制回复",
      keyDraft: "草稿检查", keyClear: "清空",
      connecting: "正在连接…", down: "无法连接服务",
      tokenWrong: "访问令牌错误，请重新输入后按 Enter：", tokenRefused: "访问令牌错误",
      unchecked: "未检查：草稿检查失败，请勿据此发送",
      health: (h) => `模型 ${h.model_id} · 话术库 ${h.library_hash.slice(0, 10)} · ${h.scripts} 条话术 · ${h.rules} 条规则 · 阈值 ${h.threshold.toFixed(2)}`,
      pinnedTitle: "已固定安全话术",
      pinnedBody: "先按下方话术处理，再办理其他业务。", rule: "规则",
      repeatTitle: (n) => `同一问题本次会话已第 ${n} 次提出，请按升级路径处理`,
      abstained: "未能确定客户的诉求：请先澄清", redirect: "非本行业务：请引导客户到对应机构",
      confidence: "置信度", reply: "建议回复", copy: "复制回复", copied: "已复制",
      steps: "处理步骤", escalation: "升级路径", why: "推荐依据",
      matched: "最接近的例句：", notes: "话术提示", pinnedChip: "风险固定", runnerUp: "备选", pinnedBy: "固定规则",
      noIssue: "未发现合规问题",
      issues: (n, blocks) => blocks ? `发现 ${n} 处问题，其中 ${blocks} 处必须修改` : `发现 ${n} 处需注意的措辞`,
      block: "必须修改", warn: "建议修改", saferLabel: "建议改为", referenceLabel: "依据",
      whyLabel: "原因", copySafer: "复制建议", committed: "已记入", copyEscalation: "复制升级话术",
      checkEmpty: "违反规则的措辞会在草稿中标出，并在这里给出原因、依据和更安全的说法。",
      error: (m) => `请求失败：${m}`,
    },
    en: {
      title: "Agent Assist", subtitle: "Approved replies · runs offline",
      segment: "Segment", segmentAny: "General", segElderly: "Elderly", segDisabled: "Disabled",
      segForeign: "Foreign", segEnterprise: "Enterprise",
      channel: "Channel", channelAny: "Any", chPhone: "Phone", chChat: "Chat", chEmail: "Email",
      session: "Session", newSession: "New contact",
      tokenNeeded: "This server needs an access token. Type it and press Enter:",
      customerSaid: "Customer said", customerHint: "previews as you type · Enter records it",
      customerPlaceholder: "e.g. my card is frozen and I can't withdraw cash",
      sessionEmpty: "Nothing recorded in this session yet", sessionRaised: "This session: ",
      emptyCard: "Type what the customer said; the suggested reply appears here at once.",
      emptyKeys: "Alt+1…3 runner-ups · Alt+C copy reply · Alt+D check my draft",
      draftTitle: "My draft reply", draftHint: "checked for compliance as you type",
      draftPlaceholder: "Type the reply you are about to send",
      keyCustomer: "customer", keyCommit: "record", keyCandidates: "runner-ups", keyCopy: "copy reply",
      keyDraft: "draft check", keyClear: "clear",
      connecting: "Connecting…", down: "Server unreachable",
      tokenWrong: "Wrong access token. Type it again and press Enter:", tokenRefused: "Wrong access token",
      unchecked: "Not checked: the draft check failed; do not rely on it",
      health: (h) => `model ${h.model_id} · library ${h.library_hash.slice(0, 10)} · ${h.scripts} scripts · ${h.rules} rules · threshold ${h.threshold.toFixed(2)}`,
      pinnedTitle: "Safety script pinned",
      pinnedBody: "Follow this script before anything else.", rule: "rule",
      repeatTitle: (n) => `Same issue raised ${n} times in this session: follow the escalation path`,
      abstained: "Unclear request: ask a clarifying question", redirect: "Not the bank's service: redirect the customer",
      confidence: "Confidence", reply: "Suggested reply", copy: "Copy reply", copied: "Copied",
      steps: "Steps", escalation: "Escalation", why: "Why",
      matched: "Closest example: ", notes: "Script notes", pinnedChip: "pinned", runnerUp: "runner-up", pinnedBy: "pinned by",
      noIssue: "No compliance issue found",
      issues: (n, blocks) => blocks ? `${n} issue(s), ${blocks} must be fixed` : `${n} wording issue(s) to consider`,
      block: "must fix", warn: "should fix", saferLabel: "Safer wording", referenceLabel: "Reference",
      whyLabel: "Why", copySafer: "Copy", committed: "Recorded", copyEscalation: "Copy escalation reply",
      checkEmpty: "Wording that breaks a rule is marked in the draft and explained here, with the reference and a safer phrasing.",
      error: (m) => `Request failed: ${m}`,
    },
  };

  const CATEGORIES = {
    promise_guaranteed_return: ["承诺保本保收益", "Guaranteed-return promise"],
    credential_request: ["索要密码或验证码", "Asking for credentials"],
    unsafe_transfer_instruction: ["不安全的转账指引", "Unsafe transfer instruction"],
    privacy_disclosure: ["泄露客户隐私", "Privacy disclosure"],
    skip_verification: ["跳过身份核验", "Skipping verification"],
    blame_shifting: ["推卸责任", "Blame shifting"],
    bare_refusal: ["生硬拒绝", "Bare refusal"],
    overpromise: ["过度承诺", "Over-promising"],
    jargon: ["专业术语", "Jargon"],
    disparaging_customer: ["贬低客户", "Disparaging the customer"],
  };

  const $ = (id) => document.getElementById(id);
  const els = {
    utterance: $("utterance"), draft: $("draft"), backdrop: $("draft-backdrop"),
    draftWrap: document.querySelector(".draft-wrap"),
    segment: $("segment"), channel: $("channel"), sessionId: $("session-id"),
    newSession: $("new-session"), langToggle: $("lang-toggle"), langLabel: $("lang-label"),
    sessionLine: $("session-line"), banner: $("banner"), bannerTitle: $("banner-title"),
    bannerBody: $("banner-body"), notice: $("notice"), noticeTitle: $("notice-title"),
    noticeBody: $("notice-body"), error: $("error"), tabs: $("tabs"), card: $("card"),
    checkStatus: $("check-status"), violations: $("violations"), health: $("health"),
    tokenBar: $("token-bar"), tokenInput: $("token-input"),
  };

  const state = {
    lang: storageGet(localStorage, "assist.lang") === "en" ? "en" : "zh",
    token: storageGet(sessionStorage, "assist.token") || "",
    sessionId: storageGet(sessionStorage, "assist.session") || newSessionId(),
    scenarios: {},
    health: null,
    footerState: null,  // null, "down" or "tokenRefused": what the footer must say instead of health
    checkFailed: false,  // the last draft check failed: the draft box says 未检查
    suggestion: null,
    selected: 0,
    raised: {},
    violations: [],
    suggestSeq: 0,
    checkSeq: 0,
    lastPreview: "",
    composing: false,
    retry: null,
  };

  // ----- small helpers ---------------------------------------------------------------
  function storageGet(store, key) {
    try { return store.getItem(key); } catch (_) { return null; }
  }
  function storageSet(store, key, value) {
    try { store.setItem(key, value); } catch (_) { /* private mode: keep it in memory */ }
  }
  function t(key) { return TEXT[state.lang][key]; }
  function newSessionId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function debounce(fn, ms) {
    let timer = 0;
    const wrapped = () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
    wrapped.cancel = () => clearTimeout(timer);
    return wrapped;
  }
  /** Scores are fused similarities, roughly 0..1 (a near-verbatim match can pass 1). */
  function percent(score) { return `${Math.round(Math.max(0, Math.min(1, score)) * 100)}%`; }
  function scenarioName(id) {
    const label = state.scenarios[id];
    const name = label && (state.lang === "zh" ? label.zh : label.en);
    return name || id;
  }
  function categoryName(id) {
    const names = CATEGORIES[id];
    return names ? names[state.lang === "zh" ? 0 : 1] : id;
  }

  // ----- API ---------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store", credentials: "same-origin",
    });
    let payload = null;
    try { payload = await response.json(); } catch (_) { payload = null; }
    if (response.ok && state.footerState) { setFooterState(null); renderHealth(); }
    if (!response.ok) {
      const error = (payload && payload.error) || {};
      throw new ApiError(response.status, error.code || "http_error", error.message || `HTTP ${response.status}`);
    }
    return payload;
  }

  function handleError(error, retry) {
    if (error instanceof ApiError && error.status === 401) {
      state.retry = retry;
      // A token was sent and refused: say so, in the prompt and in the footer.
      const wrong = Boolean(state.token);
      els.tokenBar.querySelector("label").textContent = t(wrong ? "tokenWrong" : "tokenNeeded");
      if (wrong) setFooterState("tokenRefused");
      els.tokenBar.hidden = false;
      els.tokenInput.focus();
      return;
    }
    // fetch itself failed, or a proxy/the server answered 502-504: the connection is lost.
    if (!(error instanceof ApiError) || [502, 503, 504].includes(error.status)) setFooterState("down");
    els.error.textContent = t("error")(error.message || String(error));
    els.error.hidden = false;
  }

  function clearError() { els.error.hidden = true; }

  // ----- suggestions ---------------------------------------------------------------------
  function suggestBody(utterance, record) {
    const body = { utterance, top_k: 3 };
    if (els.segment.value) body.segment = els.segment.value;
    if (els.channel.value) body.channel = els.channel.value;
    // Previews are stateless; only a recorded utterance (Enter) counts in the session,
    // so typing one sentence never looks like three contacts.
    if (record) body.session_id = state.sessionId;
    return body;
  }

  async function requestSuggestion(record) {
    const utterance = els.utterance.value.trim();
    if (!utterance) { renderEmpty(); return; }
    const seq = ++state.suggestSeq;
    try {
      const result = await api("POST", "/v1/suggest", suggestBody(utterance, record));
      if (seq !== state.suggestSeq) return;
      clearError();
      state.lastPreview = utterance;
      if (record) {
        state.raised = result.raised || {};
        renderSessionLine(true);
      }
      state.suggestion = result;
      state.selected = 0;
      renderSuggestion();
    } catch (error) {
      if (seq === state.suggestSeq) handleError(error, () => requestSuggestion(record));
    }
  }

  const previewSoon = debounce(() => {
    const text = els.utterance.value.trim();
    if (text !== state.lastPreview || !text) requestSuggestion(false);
  }, SUGGEST_DELAY_MS);

  function recordUtterance() {
    previewSoon.cancel();
    requestSuggestion(true).then(() => els.utterance.select());
  }

  function renderEmpty() {
    state.suggestSeq++;
    state.suggestion = null;
    state.lastPreview = "";
    els.banner.hidden = true;
    els.notice.hidden = true;
    els.tabs.replaceChildren();
    els.card.className = "card";
    const empty = el("div", "empty");
    empty.append(el("p", "", t("emptyCard")), el("p", "empty-keys", t("emptyKeys")));
    els.card.replaceChildren(empty);
  }

  function renderSuggestion() {
    const s = state.suggestion;
    if (!s) { renderEmpty(); return; }
    renderBanners(s);
    renderTabs(s);
    renderCard(s);
  }

  function renderBanners(s) {
    els.banner.hidden = !s.pinned_by;
    if (s.pinned_by) {
      const alerts = s.alerts.filter((a) => !a.startsWith("repeated_unresolved"));
      els.bannerTitle.textContent = `⚠ ${alerts.join("；") || t("pinnedTitle")}`;
      els.bannerBody.textContent = `${t("pinnedTitle")}，${t("pinnedBody")} （${t("rule")} ${s.pinned_by}）`;
    }
    const repeated = s.alerts.find((a) => a.startsWith("repeated_unresolved"));
    els.notice.hidden = !repeated;
    if (repeated) {
      const top = s.candidates[0];
      const count = (top && s.raised[top.scenario]) || 3;
      els.noticeTitle.textContent = t("repeatTitle")(count);
      els.noticeBody.textContent = s.escalation || "";
    }
  }

  function renderTabs(s) {
    const tabs = s.candidates.map((c, i) => {
      const tab = el("button", "tab" + (i === 0 && s.pinned_by ? " pinned" : ""));
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-selected", String(i === state.selected));
      tab.tabIndex = i === state.selected ? 0 : -1;
      tab.dataset.index = String(i);
      tab.title = `${scenarioName(c.scenario)} · ${c.script_id}`;
      tab.append(el("kbd", "", `Alt+${i + 1}`), el("span", "tab-name", scenarioName(c.scenario)),
        el("span", "tab-score", c.pinned_by ? t("pinnedChip") : s.abstained ? "" : percent(c.score)));
      tab.addEventListener("click", () => select(i));
      return tab;
    });
    els.tabs.replaceChildren(...tabs);
  }

  function select(index) {
    const s = state.suggestion;
    if (!s || index < 0 || index >= s.candidates.length) return;
    state.selected = index;
    renderTabs(s);
    renderCard(s);
  }

  function shownReply(s) {
    const c = s.candidates[state.selected];
    if (state.selected === 0 || !c) return s.reply;
    return c.reply;
  }

  function renderCard(s) {
    const c = s.candidates[state.selected];
    const isTop = state.selected === 0;
    const abstained = s.abstained && isTop;
    els.card.className = "card" + (isTop && s.pinned_by ? " pinned" : "") + (abstained ? " abstained" : "");
    const parts = [cardHead(s, c, abstained), replyBlock(s)];
    if (c && !abstained && c.steps.length) parts.push(section(t("steps")), stepsList(c.steps));
    const escalation = isTop ? s.escalation : c && c.escalation;
    if (escalation && !abstained) parts.push(section(t("escalation")), el("div", "escalation", escalation));
    if (c && c.warnings.length) {
      const notes = el("ul", "notes");
      c.warnings.forEach((w) => notes.append(el("li", "", `${categoryName(w.category)}：${w.suggestion}`)));
      parts.push(section(t("notes")), notes);
    }
    parts.push(section(t("why")), el("div", "why", isTop ? s.why : `${t("matched")}「${c.matched_example}」`));
    els.card.replaceChildren(...parts);
  }

  function cardHead(s, c, abstained) {
    const head = el("div", "card-head");
    const titles = el("div", "card-titles");
    titles.append(el("div", "scenario-name", abstained ? t(s.redirect ? "redirect" : "abstained") : scenarioName(c.scenario)));
    const meta = el("div", "card-meta");
    if (c && !abstained) {
      meta.append(el("code", "", c.script_id));
      if (state.selected === 0 && s.pinned_by) meta.append(el("span", "chip chip-red", t("pinnedChip")));
      if (state.selected > 0) meta.append(el("span", "chip", `${t("runnerUp")} ${state.selected + 1}`));
      [c.segment, c.channel, c.language].filter(Boolean).forEach((v) => meta.append(el("span", "chip", v)));
    }
    titles.append(meta);
    head.append(titles);
    if (c && c.pinned_by) head.append(el("div", "confidence", `${t("pinnedBy")} ${c.pinned_by}`));
    else if (c) head.append(confidence(c.score, s.threshold));
    return head;
  }

  function confidence(score, threshold) {
    const box = el("div", "confidence", `${t("confidence")} ${percent(score)}`);
    const meter = el("div", "meter");
    const fill = el("div", "meter-fill" + (score < threshold ? " low" : ""));
    fill.style.width = `${Math.max(0, Math.min(1, score)) * 100}%`;
    meter.append(fill);
    box.append(meter);
    return box;
  }

  function replyBlock(s) {
    const c = s.candidates[state.selected];
    const block = el("div", "reply");
    if (c && !(s.abstained && state.selected === 0)) {
      // The reply joins the two parts (with a space only between Latin text); keep that join.
      const empathy = c.reply.startsWith(c.empathy) ? c.empathy : "";
      block.append(el("span", "empathy", empathy), el("span", "preview", c.reply.slice(empathy.length)));
    } else {
      block.append(el("span", "preview", shownReply(s)));
    }
    const actions = el("div", "reply-actions");
    const button = el("button", "btn btn-primary", "");
    button.type = "button";
    button.id = "copy-reply";
    button.append(el("span", "", t("copy")), el("kbd", "", "Alt+C"));
    button.addEventListener("click", () => copyReply(button));
    actions.append(button);
    block.append(actions);
    return block;
  }

  function section(title) { return el("div", "section-title", title); }

  function stepsList(steps) {
    const list = el("ol", "steps");
    steps.forEach((step) => list.append(el("li", "", step)));
    return list;
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try { await navigator.clipboard.writeText(text); return true; } catch (_) { /* fall back */ }
    }
    const area = el("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
    area.remove();
    return ok;
  }

  async function copyReply(button) {
    const s = state.suggestion;
    if (!s) return;
    const target = button || $("copy-reply");
    const ok = await copyText(shownReply(s));
    if (!ok || !target) return;
    const label = target.firstChild;
    label.textContent = `✓ ${t("copied")}`;
    target.classList.add("done");
    setTimeout(() => { label.textContent = t("copy"); target.classList.remove("done"); }, 1500);
  }

  function renderSessionLine(justRecorded) {
    const entries = Object.entries(state.raised);
    if (!entries.length) {
      els.sessionLine.textContent = t("sessionEmpty");
      return;
    }
    const parts = [el("span", "", justRecorded ? `✓ ${t("committed")} · ${t("sessionRaised")}` : t("sessionRaised"))];
    entries.forEach(([scenario, count]) => {
      const chip = el("span", "chip" + (count >= 3 ? " chip-amber" : ""), `${scenarioName(scenario)} ×${count}`);
      parts.push(chip);
    });
    els.sessionLine.replaceChildren(...parts);
  }

  function startNewSession() {
    state.sessionId = newSessionId();
    storageSet(sessionStorage, "assist.session", state.sessionId);
    state.raised = {};
    els.sessionId.textContent = state.sessionId.slice(0, 6);
    els.utterance.value = "";
    els.draft.value = "";
    renderSessionLine(false);
    renderEmpty();
    renderCheck([]);
    els.checkStatus.textContent = "";
    els.utterance.focus();
  }

  // ----- draft check ---------------------------------------------------------------------
  async function requestCheck() {
    const draft = els.draft.value;
    const seq = ++state.checkSeq;
    state.checkFailed = false;
    if (!draft.trim()) { renderCheck([]); els.checkStatus.textContent = ""; return; }
    try {
      const result = await api("POST", "/v1/check", { draft });
      if (seq !== state.checkSeq || draft !== els.draft.value) return;
      clearError();
      renderCheck(result.violations);
    } catch (error) {
      if (seq !== state.checkSeq) return;
      // Never leave an old verdict (or none) looking like a check of this draft.
      state.checkFailed = true;
      renderCheck([]);
      handleError(error, requestCheck);
    }
  }

  const checkSoon = debounce(requestCheck, CHECK_DELAY_MS);

  /** Python spans count code points; JS strings count UTF-16 units. */
  function utf16Offsets(text) {
    const offsets = [0];
    let position = 0;
    for (const ch of text) { position += ch.length; offsets.push(position); }
    return offsets;
  }

  function renderCheck(violations) {
    state.violations = violations;
    renderHighlights(els.draft.value, violations);
    renderViolationList(violations);
    const blocks = violations.filter((v) => v.severity === "block").length;
    els.draftWrap.classList.toggle("unchecked", Boolean(state.checkFailed));
    if (!els.draft.value.trim()) return;
    if (state.checkFailed) {
      els.checkStatus.className = "check-status bad unchecked";
      els.checkStatus.textContent = `「${t("unchecked")}」`;
      return;
    }
    els.checkStatus.className = "check-status " + (violations.length ? (blocks ? "bad" : "warn") : "ok");
    els.checkStatus.textContent = violations.length ? t("issues")(violations.length, blocks) : `✓ ${t("noIssue")}`;
  }

  /** Mirror the draft in the layer behind the textarea, with each violating span in a <mark>. */
  function renderHighlights(text, violations) {
    const offsets = utf16Offsets(text);
    const points = offsets.length - 1;
    const level = new Array(points).fill(0);
    violations.forEach((v) => {
      const rank = v.severity === "block" ? 2 : 1;
      for (let i = Math.max(0, v.span[0]); i < Math.min(points, v.span[1]); i++) level[i] = Math.max(level[i], rank);
    });
    const nodes = [];
    let start = 0;
    for (let i = 1; i <= points; i++) {
      if (i < points && level[i] === level[start]) continue;
      const piece = text.slice(offsets[start], offsets[i]);
      if (level[start] === 0) {
        nodes.push(document.createTextNode(piece));
      } else {
        nodes.push(el("mark", level[start] === 2 ? "block" : "warn", piece));
      }
      start = i;
    }
    nodes.push(document.createTextNode("\n\u200b"));
    els.backdrop.replaceChildren(...nodes);
    els.backdrop.scrollTop = els.draft.scrollTop;
  }

  function renderViolationList(violations) {
    if (!violations.length) {
      els.violations.replaceChildren(el("li", "violations-empty", t("checkEmpty")));
      return;
    }
    const items = violations.map((v) => {
      const item = el("li", "violation" + (v.severity === "warn" ? " warn" : ""));
      item.tabIndex = 0;
      const head = el("div", "violation-head");
      head.append(
        el("span", v.severity === "block" ? "chip chip-red" : "chip chip-amber", t(v.severity)),
        el("span", "violation-text", `「${v.matched_text}」`),
        el("span", "chip", categoryName(v.category)),
      );
      const safer = el("div", "violation-row");
      safer.append(el("span", "label", t("saferLabel")), el("span", "safer", v.suggestion));
      const copy = el("button", "btn btn-small", t("copySafer"));
      copy.type = "button";
      copy.addEventListener("click", (event) => { event.stopPropagation(); copyText(v.suggestion); });
      safer.append(" ", copy);
      item.append(head, safer);
      if (v.explanation) item.append(row(t("whyLabel"), v.explanation, ""));
      item.append(row(t("referenceLabel"), v.reference, "reference"));
      const focusSpan = () => selectSpan(v.span);
      item.addEventListener("click", focusSpan);
      item.addEventListener("keydown", (event) => { if (event.key === "Enter") focusSpan(); });
      return item;
    });
    els.violations.replaceChildren(...items);
  }

  function row(label, text, className) {
    const line = el("div", "violation-row");
    line.append(el("span", "label", label), el("span", className, text));
    return line;
  }

  function selectSpan(span) {
    const offsets = utf16Offsets(els.draft.value);
    const last = offsets.length - 1;
    els.draft.focus();
    els.draft.setSelectionRange(offsets[Math.min(span[0], last)], offsets[Math.min(span[1], last)]);
  }

  // ----- chrome: health, scenarios, language, token ------------------------------------------
  async function loadHealth() {
    try {
      state.health = await api("GET", "/v1/health");
      els.health.classList.remove("down");
      renderHealth();
      const scenarios = await api("GET", "/v1/scenarios");
      scenarios.forEach((s) => { state.scenarios[s.id] = s; });
      renderSuggestion();
      renderSessionLine(false);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setFooterState("down");
      handleError(error, loadHealth);
    }
  }

  /** The footer says when the server is unreachable or refuses the token, until a request succeeds. */
  function setFooterState(key) {
    state.footerState = key;
    els.health.classList.toggle("down", Boolean(key));
    renderHealth();
  }

  /** A quiet liveness ping, so a lost connection shows in the footer even while the agent is idle. */
  async function pingHealth() {
    try {
      const response = await fetch("/v1/health", {
        headers: state.token ? { Authorization: `Bearer ${state.token}` } : {}, cache: "no-store",
      });
      if (response.status === 401) { if (state.token) setFooterState("tokenRefused"); return; }
      if (!response.ok) { setFooterState("down"); return; }
      if (state.footerState) { setFooterState(null); if (!state.health) loadHealth(); }
    } catch (_) {
      setFooterState("down");
    }
  }

  function renderHealth() {
    if (state.footerState) {
      els.health.textContent = t(state.footerState);
      els.health.title = els.health.textContent;
    } else if (state.health) {
      els.health.textContent = t("health")(state.health);
      els.health.title = els.health.textContent;
    } else els.health.textContent = els.health.classList.contains("down") ? t("down") : t("connecting");
  }

  function applyLanguage() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((node) => {
      const value = t(node.dataset.i18n);
      if (typeof value === "string") node.textContent = value;
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((node) => {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    });
    els.langLabel.textContent = state.lang === "zh" ? "EN" : "中文";
    document.title = `${t("title")} · ${state.lang === "zh" ? "Agent Assist" : "坐席助手"}`;
    renderHealth();
    renderSuggestion();
    renderSessionLine(false);
    renderCheck(state.violations);
  }

  function toggleLanguage() {
    state.lang = state.lang === "zh" ? "en" : "zh";
    storageSet(localStorage, "assist.lang", state.lang);
    applyLanguage();
  }

  function saveToken() {
    state.token = els.tokenInput.value.trim();
    storageSet(sessionStorage, "assist.token", state.token);
    els.tokenBar.hidden = true;
    els.tokenInput.value = "";
    const retry = state.retry;
    state.retry = null;
    if (retry) retry();
    if (!state.health) loadHealth();
  }

  // ----- keyboard ----------------------------------------------------------------------------
  const ALT_KEYS = {
    Digit1: () => select(0), Digit2: () => select(1), Digit3: () => select(2),
    KeyC: () => copyReply(null),
    KeyS: () => els.utterance.focus(),
    KeyD: () => els.draft.focus(),
    KeyN: startNewSession,
    KeyL: toggleLanguage,
  };

  function onGlobalKey(event) {
    if (event.altKey && !event.ctrlKey && !event.metaKey && ALT_KEYS[event.code]) {
      event.preventDefault();
      ALT_KEYS[event.code]();
    }
  }

  function onUtteranceKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      recordUtterance();
    } else if (event.key === "Escape") {
      els.utterance.value = "";
      renderEmpty();
    }
  }

  function onTabsKey(event) {
    const count = state.suggestion ? state.suggestion.candidates.length : 0;
    if (!count || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) return;
    event.preventDefault();
    select((state.selected + (event.key === "ArrowRight" ? 1 : count - 1)) % count);
    const tab = els.tabs.querySelector('[aria-selected="true"]');
    if (tab) tab.focus();
  }

  function wire() {
    document.addEventListener("keydown", onGlobalKey);
    els.utterance.addEventListener("keydown", onUtteranceKey);
    els.utterance.addEventListener("compositionstart", () => { state.composing = true; });
    els.utterance.addEventListener("compositionend", () => { state.composing = false; previewSoon(); });
    els.utterance.addEventListener("input", () => { if (!state.composing) previewSoon(); });
    els.tabs.addEventListener("keydown", onTabsKey);
    els.draft.addEventListener("input", () => {
      renderHighlights(els.draft.value, []);
      checkSoon();
    });
    els.draft.addEventListener("scroll", () => { els.backdrop.scrollTop = els.draft.scrollTop; });
    els.draft.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { els.draft.value = ""; requestCheck(); }
    });
    const rerun = () => { if (els.utterance.value.trim()) requestSuggestion(false); };
    els.segment.addEventListener("change", rerun);
    els.channel.addEventListener("change", rerun);
    els.newSession.addEventListener("click", startNewSession);
    $("copy-escalation").addEventListener("click", () => {
      if (state.suggestion && state.suggestion.escalation) copyText(state.suggestion.escalation);
    });
    els.langToggle.addEventListener("click", toggleLanguage);
    els.tokenInput.addEventListener("keydown", (event) => { if (event.key === "Enter") saveToken(); });
  }

  function start() {
    storageSet(sessionStorage, "assist.session", state.sessionId);
    els.sessionId.textContent = state.sessionId.slice(0, 6);
    wire();
    applyLanguage();
    loadHealth();
    setInterval(pingHealth, HEALTH_PING_MS);
    els.utterance.focus();
  }

  start();
})();
