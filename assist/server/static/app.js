/* Agent console: plain JS, no build step, no network beyond this server's /v1 API.
 * Every piece of server text is put in the page with textContent, never as HTML.
 * Every piece of console text exists in Chinese and English (TEXT); raw ids (script, rule,
 * language codes, model and library hashes) appear only inside a <details> view. */
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
      newSession: "新会话", language: "English",
      tokenNeeded: "此服务需要访问令牌，请输入后按 Enter：",
      customerSaid: "客户说", customerHint: "输入即预览 · Enter 记入会话",
      customerPlaceholder: "例如：我的卡被冻结了，钱取不出来",
      sessionEmpty: "本次会话尚未记入问题", sessionRaised: "本次会话：",
      emptyCard: "输入客户的话，建议话术会立即出现在这里。",
      emptyKeys: "Alt+1…4 切换备选话术 · Alt+C 复制回复 · Alt+D 检查我的草稿",
      draftTitle: "我的回复草稿", draftHint: "边写边查合规问题",
      draftPlaceholder: "在这里输入您准备发给客户的回复",
      keyCustomer: "客户说", keyCommit: "记入会话", keyCandidates: "备选话术", keyCopy: "复制回复",
      keyDraft: "草稿检查", keyReplace: "替换第一条", keyUndo: "撤销替换", keyClear: "清空",
      connecting: "正在连接…", down: "无法连接服务",
      tokenWrong: "访问令牌错误，请重新输入后按 Enter：", tokenRefused: "访问令牌错误",
      unchecked: "未检查：草稿检查失败，请勿据此发送",
      health: (h) => `已连接 · 模型已就绪 · ${h.scripts} 条话术 · ${h.rules} 条规则`,
      stale: "话术库文件已更改，重新加载后生效",
      about: "详情", aboutModel: "模型", aboutLibrary: "话术库版本", aboutThreshold: "把握阈值",
      aboutVersion: "程序版本", aboutSession: "会话编号",
      pinBanner: { safety: "疑似诈骗：已固定反欺诈话术", compliance: "合规要求：已固定合规话术",
        complaint: "投诉升级：已固定升级话术", other: "已固定安全话术" },
      pinnedBody: "先按下方话术处理，再办理其他业务。",
      ruleKind: { safety: "反诈规则", compliance: "合规规则", complaint: "投诉升级规则", other: "安全规则" },
      pinnedBy: (rule) => `固定：${rule}`,
      repeatTitle: (n) => `同一问题本次会话已第 ${n} 次提出，请按升级路径处理`,
      notSure: "未能确定客户的诉求：请先澄清", notSureTab: "未能确定",
      redirect: "不属于本行业务：请告诉客户由谁处理", redirectTab: "非本行业务",
      lowMatch: "把握不足 · 仅供参考",
      confidence: "置信度", copy: "复制回复", copied: "已复制",
      steps: "处理步骤", escalation: "升级路径", why: "推荐依据",
      whyPinned: (rule, words) => `客户的话触发了${rule}${words ? `（${words}）` : ""}，此话术固定在首位，不按相似度排序。`,
      whyMatch: (example, points) => `最接近的话术库例句：「${example}」，领先次选 ${points} 分。`,
      whyOnly: (example) => `最接近的话术库例句：「${example}」。`,
      whyAbstain: "没有足够接近的话术：请先问清客户要办理什么业务。",
      whyRedirect: "客户问的是其他机构的服务：说明由谁处理，以及本行这边能帮忙查什么（如本行卡上的扣款、发起争议）。",
      whyVariant: "所选客群或渠道没有专用版本，显示的是通用话术。",
      whyRunner: (example) => `最接近的话术库例句：「${example}」`,
      notes: "话术提示", pinnedTab: "固定", runnerUp: "备选",
      details: "详情", dScript: "话术编号", dLanguage: "语言代码", dSegment: "客群代码", dChannel: "渠道代码",
      dRule: "固定规则编号", dRedirect: "转介话术编号", dScores: "分数（综合 / 语义 / 关键词）",
      dThreshold: "把握阈值", dServerWhy: "服务端说明", dQuick: "仅快速匹配",
      languages: { "zh-Hans": "简体中文", "zh-Hant": "繁体中文", en: "英文" },
      noIssue: "未发现合规问题", checking: "正在检查…",
      issues: (n, blocks) => blocks ? `发现 ${n} 处问题，其中 ${blocks} 处必须修改` : `发现 ${n} 处需注意的措辞`,
      block: "必须修改", warn: "建议修改", saferLabel: "建议改为", referenceLabel: "依据",
      whyLabel: "原因", replace: "替换", undo: "撤销替换",
      committed: "已记入", copyEscalation: "复制升级话术",
      checkEmpty: "违反规则的措辞会在草稿中标出，并在这里给出原因、依据和更安全的说法。",
      error: (m) => `请求失败：${m}`,
    },
    en: {
      title: "Agent Assist", subtitle: "Approved replies · runs offline",
      segment: "Segment", segmentAny: "General", segElderly: "Elderly", segDisabled: "Disabled",
      segForeign: "Foreign", segEnterprise: "Enterprise",
      channel: "Channel", channelAny: "Any", chPhone: "Phone", chChat: "Chat", chEmail: "Email",
      newSession: "New contact", language: "中文",
      tokenNeeded: "This server needs an access token. Type it and press Enter:",
      customerSaid: "Customer said", customerHint: "previews as you type · Enter records it",
      customerPlaceholder: "e.g. my card is frozen and I can't withdraw cash",
      sessionEmpty: "Nothing recorded in this session yet", sessionRaised: "This session: ",
      emptyCard: "Type what the customer said; the suggested reply appears here at once.",
      emptyKeys: "Alt+1…4 runner-ups · Alt+C copy reply · Alt+D check my draft",
      draftTitle: "My draft reply", draftHint: "checked for compliance as you type",
      draftPlaceholder: "Type the reply you are about to send",
      keyCustomer: "customer", keyCommit: "record", keyCandidates: "runner-ups", keyCopy: "copy reply",
      keyDraft: "draft check", keyReplace: "replace first", keyUndo: "undo replace", keyClear: "clear",
      connecting: "Connecting…", down: "Server unreachable",
      tokenWrong: "Wrong access token. Type it again and press Enter:", tokenRefused: "Wrong access token",
      unchecked: "Not checked: the draft check failed; do not rely on it",
      health: (h) => `Connected · model ready · ${h.scripts} scripts · ${h.rules} rules`,
      stale: "Library files changed on disk; reload to serve them",
      about: "Details", aboutModel: "Model", aboutLibrary: "Library version", aboutThreshold: "Threshold",
      aboutVersion: "Version", aboutSession: "Session id",
      pinBanner: { safety: "Suspected fraud: the anti-fraud script is pinned",
        compliance: "Compliance: the compliance script is pinned",
        complaint: "Escalation: the escalation script is pinned", other: "Safety script pinned" },
      pinnedBody: "Follow this script before anything else.",
      ruleKind: { safety: "the fraud rule", compliance: "a compliance rule", complaint: "the escalation rule",
        other: "a safety rule" },
      pinnedBy: (rule) => `pinned by ${rule}`,
      repeatTitle: (n) => `Same issue raised ${n} times in this session: follow the escalation path`,
      notSure: "Unclear request: ask a clarifying question", notSureTab: "Not sure",
      redirect: "Not the bank's service: say who handles it", redirectTab: "Not ours",
      lowMatch: "not a confident match · for reference",
      confidence: "Confidence", copy: "Copy reply", copied: "Copied",
      steps: "Steps", escalation: "Escalation path", why: "Why",
      whyPinned: (rule, words) => `What the customer said fired ${rule}${words ? ` (${words})` : ""}; `
        + "this script is pinned first, not ranked by similarity.",
      whyMatch: (example, points) => `Closest library example: 「${example}」, ${points} points ahead of the runner-up.`,
      whyOnly: (example) => `Closest library example: 「${example}」.`,
      whyAbstain: "No script is close enough: ask what the customer needs first.",
      whyRedirect: "The customer is asking about another company's service: say whose it is and what the bank "
        + "can check on its side (charges on the customer's card, a dispute).",
      whyVariant: "No variant for the chosen segment or channel: the base script is shown.",
      whyRunner: (example) => `Closest library example: 「${example}」`,
      notes: "Script notes", pinnedTab: "pinned", runnerUp: "runner-up",
      details: "Details", dScript: "Script id", dLanguage: "Language code", dSegment: "Segment code",
      dChannel: "Channel code", dRule: "Pinning rule id", dRedirect: "Redirect script id",
      dScores: "Scores (fused / dense / keywords)", dThreshold: "Threshold", dServerWhy: "Server explanation",
      dQuick: "Quick pass only",
      languages: { "zh-Hans": "Simplified Chinese", "zh-Hant": "Traditional Chinese", en: "English" },
      noIssue: "No compliance issue found", checking: "Checking…",
      issues: (n, blocks) => blocks ? `${n} issue(s), ${blocks} must be fixed` : `${n} wording issue(s) to consider`,
      block: "must fix", warn: "should fix", saferLabel: "Safer wording", referenceLabel: "Reference",
      whyLabel: "Why", replace: "Replace", undo: "Undo replace",
      committed: "Recorded", copyEscalation: "Copy escalation reply",
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
    fraud_signal: ["诈骗信号", "Fraud signal"],
    escalation_signal: ["投诉升级信号", "Escalation signal"],
  };
  const SEGMENT_KEYS = { elderly: "segElderly", disabled: "segDisabled", foreign: "segForeign",
    enterprise: "segEnterprise", general: "segmentAny" };
  const CHANNEL_KEYS = { phone: "chPhone", chat: "chChat", email: "chEmail" };
  const SEVERITY_ORDER = { block: 0, warn: 1 };

  const $ = (id) => document.getElementById(id);
  const els = {
    utterance: $("utterance"), draft: $("draft"), backdrop: $("draft-backdrop"),
    draftWrap: document.querySelector(".draft-wrap"),
    segment: $("segment"), channel: $("channel"),
    newSession: $("new-session"), langToggle: $("lang-toggle"), langLabel: $("lang-label"),
    sessionLine: $("session-line"), banner: $("banner"), bannerTitle: $("banner-title"),
    bannerBody: $("banner-body"), notice: $("notice"), noticeTitle: $("notice-title"),
    noticeBody: $("notice-body"), error: $("error"), tabs: $("tabs"), card: $("card"),
    checkStatus: $("check-status"), violations: $("violations"), health: $("health"),
    about: $("about-list"), undo: $("undo-replace"),
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
    checking: false,
    suggestion: null,
    selected: 0,
    raised: {},
    violations: [],
    undo: [],  // drafts before each "replace", newest last: {before, after, caret}
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
  function scenarioKind(id) {
    const kind = state.scenarios[id] && state.scenarios[id].kind;
    return ["safety", "compliance", "complaint"].includes(kind) ? kind : "other";
  }
  function categoryName(id) {
    const names = CATEGORIES[id];
    return names ? names[state.lang === "zh" ? 0 : 1] : id;
  }
  function languageName(code) { return t("languages")[code] || code; }
  /** Library text (a rule's alert) is written in one language; show it where it matches the console's. */
  function inConsoleLanguage(text) { return /[\u3400-\u9fff]/.test(text) === (state.lang === "zh"); }

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
    const body = suggestBody(utterance, record);
    try {
      const result = await api("POST", "/v1/suggest", body);
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

  /**
   * What the tabs offer. An abstention or a redirect comes first as a view of its own (its
   * reply is the clarifying question or the redirect); the ranked scripts follow as runner-ups.
   */
  function views(s) {
    const list = s.candidates.map((candidate, index) => ({ candidate, index }));
    if (s.abstained) list.unshift({ candidate: null, index: -1 });
    return list.slice(0, 4);
  }

  function currentView(s) { return views(s)[state.selected] || views(s)[0]; }

  function renderSuggestion() {
    const s = state.suggestion;
    if (!s) { renderEmpty(); return; }
    renderBanners(s);
    renderTabs(s);
    renderCard(s);
  }

  function renderBanners(s) {
    const top = s.candidates[0];
    els.banner.hidden = !s.pinned_by;
    if (s.pinned_by) {
      const kind = scenarioKind(top && top.scenario);
      els.bannerTitle.textContent = `⚠ ${t("pinBanner")[kind]}`;
      const alerts = s.alerts.filter((a) => !a.startsWith("repeated_unresolved") && inConsoleLanguage(a));
      els.bannerBody.textContent = [...alerts, t("pinnedBody")].join(" · ");
    }
    const repeated = s.alerts.find((a) => a.startsWith("repeated_unresolved"));
    els.notice.hidden = !repeated;
    if (repeated) {
      const count = (top && s.raised[top.scenario]) || 3;
      els.noticeTitle.textContent = t("repeatTitle")(count);
      els.noticeBody.textContent = s.escalation || "";
    }
  }

  function renderTabs(s) {
    const tabs = views(s).map((view, i) => {
      const c = view.candidate;
      const pinned = Boolean(c && c.pinned_by);
      const tab = el("button", "tab" + (pinned ? " pinned" : "") + (c ? "" : " tab-unsure"));
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-selected", String(i === state.selected));
      tab.tabIndex = i === state.selected ? 0 : -1;
      tab.dataset.index = String(i);
      const name = c ? scenarioName(c.scenario) : t(s.redirect ? "redirectTab" : "notSureTab");
      tab.title = name;
      // No score where it would contradict the card: a pin is not a similarity, and an
      // abstention's runner-ups are, by definition, not confident matches.
      const score = pinned ? t("pinnedTab") : (s.abstained || !c) ? "" : percent(c.score);
      tab.append(el("kbd", "", `Alt+${i + 1}`), el("span", "tab-name", name));
      if (score) tab.append(el("span", "tab-score", score));
      tab.addEventListener("click", () => select(i));
      return tab;
    });
    els.tabs.replaceChildren(...tabs);
  }

  function select(index) {
    const s = state.suggestion;
    if (!s || index < 0 || index >= views(s).length) return;
    state.selected = index;
    renderTabs(s);
    renderCard(s);
  }

  function shownReply(s) {
    const view = currentView(s);
    if (!view.candidate || (view.index === 0 && !s.abstained)) return s.reply;
    return view.candidate.reply;
  }

  function renderCard(s) {
    const view = currentView(s);
    const c = view.candidate;
    const isTop = Boolean(c) && view.index === 0 && !s.abstained;
    const pinned = isTop && Boolean(s.pinned_by);
    els.card.className = "card" + (pinned ? " pinned" : "") + (c ? "" : " abstained")
      + (!c && s.redirect ? " redirect" : "");
    const parts = [cardHead(s, c, isTop), replyBlock(s, c)];
    const escalation = isTop ? s.escalation : c && c.escalation;
    if (escalation) parts.push(section(t("escalation")), el("div", "escalation", escalation));
    if (c && c.steps.length) parts.push(section(t("steps")), stepsList(c.steps));
    if (c && c.warnings.length) {
      const notes = el("ul", "notes");
      c.warnings.forEach((w) => notes.append(el("li", "", `${categoryName(w.category)}：${w.suggestion}`)));
      parts.push(section(t("notes")), notes);
    }
    parts.push(el("div", "why", `${t("why")}：${whyLine(s, c, isTop)}`));
    parts.push(detailsView(s, c, isTop));
    els.card.replaceChildren(...parts);
  }

  /** The rule's words that fired a pin, as the server's explanation quotes them 「…」. */
  function pinWords(why) {
    return Array.from(why.matchAll(/「([^」]{1,40})」/g), (m) => `「${m[1]}」`).slice(0, 3).join(" + ");
  }

  function whyLine(s, c, isTop) {
    if (!c) return t(s.redirect ? "whyRedirect" : "whyAbstain");
    if (!isTop) return t("whyRunner")(c.matched_example);
    if (s.pinned_by) return t("whyPinned")(t("ruleKind")[scenarioKind(c.scenario)], pinWords(s.why));
    const points = Math.round(Math.max(0, s.margin) * 100);
    const line = s.candidates.length > 1 ? t("whyMatch")(c.matched_example, points) : t("whyOnly")(c.matched_example);
    return /has no variant for/.test(s.why) ? `${line} ${t("whyVariant")}` : line;
  }

  /** Everything raw, for a supervisor or a bug report: ids, codes, scores, the server's own why. */
  function detailsView(s, c, isTop) {
    const box = el("details", "card-details");
    box.append(el("summary", "", t("details")));
    const list = el("dl", "");
    const add = (label, value) => {
      if (value === null || value === undefined || value === "") return;
      list.append(el("dt", "", label), el("dd", "", String(value)));
    };
    if (c) {
      add(t("dScript"), c.script_id);
      add(t("dLanguage"), c.language);
      add(t("dSegment"), c.segment);
      add(t("dChannel"), c.channel);
      if (isTop) add(t("dRule"), s.pinned_by);
      add(t("dScores"), `${c.score.toFixed(3)} / ${c.dense_score.toFixed(3)} / ${c.lexical_score.toFixed(3)}`);
    } else {
      add(t("dRedirect"), s.redirect);
    }
    add(t("dThreshold"), s.threshold.toFixed(3));
    if (s.quick_pass) add(t("dQuick"), "✓");
    if (!c || isTop) add(t("dServerWhy"), s.why);
    box.append(list);
    return box;
  }

  function cardHead(s, c, isTop) {
    const head = el("div", "card-head");
    const titles = el("div", "card-titles");
    const title = c ? scenarioName(c.scenario) : t(s.redirect ? "redirect" : "notSure");
    titles.append(el("div", "scenario-name", title));
    const meta = el("div", "card-meta");
    if (c) {
      if (!isTop) meta.append(el("span", "chip", `${t("runnerUp")} ${state.selected + 1}`));
      if (c.segment && SEGMENT_KEYS[c.segment]) meta.append(el("span", "chip", t(SEGMENT_KEYS[c.segment])));
      if (c.channel && CHANNEL_KEYS[c.channel]) meta.append(el("span", "chip", t(CHANNEL_KEYS[c.channel])));
      if (c.language) meta.append(el("span", "chip", languageName(c.language)));
    }
    titles.append(meta);
    head.append(titles);
    if (c && isTop && s.pinned_by) {
      head.append(el("div", "pin-by", t("pinnedBy")(t("ruleKind")[scenarioKind(c.scenario)])));
    } else if (c && s.abstained) {
      head.append(el("div", "low-match", t("lowMatch")));
    } else if (c) {
      head.append(confidence(c.score, s.threshold));
    }
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

  function replyBlock(s, c) {
    const block = el("div", "reply");
    block.id = "reply";
    const reply = shownReply(s);
    if (c && c.empathy && reply.startsWith(c.empathy)) {
      // The reply joins the two parts (with a space only between Latin text); keep that join.
      block.append(el("span", "empathy", c.empathy), el("span", "preview", reply.slice(c.empathy.length)));
    } else {
      block.append(el("span", "preview", reply));
    }
    const button = el("button", "btn btn-primary btn-copy", "");
    button.type = "button";
    button.id = "copy-reply";
    button.append(el("span", "", t("copy")), el("kbd", "", "Alt+C"));
    button.addEventListener("click", () => copyReply(button));
    block.prepend(button);  // floats top right: the text wraps around it, no extra row
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
    els.utterance.value = "";
    els.draft.value = "";
    state.undo = [];
    renderSessionLine(false);
    renderEmpty();
    renderCheck([]);
    renderAbout();
    els.checkStatus.textContent = "";
    els.utterance.focus();
  }

  // ----- draft check ---------------------------------------------------------------------
  async function requestCheck() {
    const draft = els.draft.value;
    const seq = ++state.checkSeq;
    state.checkFailed = false;
    if (!draft.trim()) { state.checking = false; renderCheck([]); els.checkStatus.textContent = ""; return; }
    try {
      const result = await api("POST", "/v1/check", { draft });
      if (seq !== state.checkSeq || draft !== els.draft.value) return;
      state.checking = false;
      clearError();
      renderCheck(result.violations);
    } catch (error) {
      if (seq !== state.checkSeq) return;
      // Never leave an old verdict (or none) looking like a check of this draft.
      state.checking = false;
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

  /** Must-fix (block) first, then in draft order. */
  function sortFindings(violations) {
    return violations.slice().sort((a, b) =>
      (SEVERITY_ORDER[a.severity] ?? 2) - (SEVERITY_ORDER[b.severity] ?? 2) || a.span[0] - b.span[0]);
  }

  function renderCheck(violations) {
    state.violations = sortFindings(violations);
    renderHighlights(els.draft.value, state.violations);
    renderViolationList(state.violations);
    renderUndo();
    const blocks = violations.filter((v) => v.severity === "block").length;
    els.draftWrap.classList.toggle("unchecked", Boolean(state.checkFailed));
    if (!els.draft.value.trim()) return;
    if (state.checkFailed) {
      els.checkStatus.className = "check-status bad unchecked";
      els.checkStatus.textContent = `「${t("unchecked")}」`;
      return;
    }
    if (state.checking) {
      els.checkStatus.className = "check-status";
      els.checkStatus.textContent = t("checking");
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
      item.dataset.severity = v.severity;
      const head = el("div", "violation-head");
      head.append(
        el("span", v.severity === "block" ? "chip chip-red" : "chip chip-amber", t(v.severity)),
        el("span", "violation-text", `「${v.matched_text}」`),
        el("span", "chip", categoryName(v.category)),
      );
      const safer = el("div", "violation-row");
      safer.append(el("span", "label", t("saferLabel")), el("span", "safer", v.suggestion));
      const replace = el("button", "btn btn-small btn-replace", t("replace"));
      replace.type = "button";
      replace.addEventListener("click", (event) => { event.stopPropagation(); replaceSpan(v); });
      safer.append(" ", replace);
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

  /** Put the finding's safer wording in place of its span, remember the draft before it, check again. */
  function replaceSpan(v) {
    const text = els.draft.value;
    const offsets = utf16Offsets(text);
    const last = offsets.length - 1;
    const start = offsets[Math.min(Math.max(0, v.span[0]), last)];
    const end = offsets[Math.min(Math.max(0, v.span[1]), last)];
    if (text.slice(start, end) !== v.matched_text) return;  // the draft moved on since the check
    const after = text.slice(0, start) + v.suggestion + text.slice(end);
    state.undo.push({ before: text, after, caret: start });
    setDraft(after, start + v.suggestion.length);
  }

  /** Undo the newest replace, if the draft is still what that replace left. */
  function undoReplace() {
    const last = state.undo[state.undo.length - 1];
    if (!last || last.after !== els.draft.value) { state.undo = []; renderUndo(); return false; }
    state.undo.pop();
    setDraft(last.before, last.caret);
    return true;
  }

  function setDraft(value, caret) {
    els.draft.value = value;
    els.draft.focus();
    els.draft.setSelectionRange(caret, caret);
    checkSoon.cancel();
    state.checking = true;
    renderCheck([]);
    requestCheck();
  }

  function renderUndo() {
    const last = state.undo[state.undo.length - 1];
    els.undo.hidden = !(last && last.after === els.draft.value);
    els.undo.firstChild.textContent = t("undo");
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
    } else if (state.health) {
      els.health.textContent = t("health")(state.health) + (state.health.stale ? ` · ${t("stale")}` : "");
    } else els.health.textContent = els.health.classList.contains("down") ? t("down") : t("connecting");
    els.health.title = els.health.textContent;
    renderAbout();
  }

  /** The footer's details view: the model, library hash and session id, for support. */
  function renderAbout() {
    const rows = [[t("aboutSession"), state.sessionId]];
    const h = state.health;
    if (h) {
      rows.push([t("aboutModel"), h.model_id], [t("aboutLibrary"), h.library_hash],
        [t("aboutThreshold"), h.threshold.toFixed(3)], [t("aboutVersion"), h.version]);
    }
    els.about.replaceChildren(...rows.flatMap(([label, value]) => [el("dt", "", label), el("dd", "", value)]));
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
    els.langLabel.textContent = t("language");
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
    Digit1: () => select(0), Digit2: () => select(1), Digit3: () => select(2), Digit4: () => select(3),
    KeyC: () => copyReply(null),
    KeyS: () => els.utterance.focus(),
    KeyD: () => els.draft.focus(),
    KeyR: () => { if (state.violations.length && !state.checking) replaceSpan(state.violations[0]); },
    KeyN: startNewSession,
    KeyL: toggleLanguage,
  };

  function onGlobalKey(event) {
    if (event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey && ALT_KEYS[event.code]) {
      event.preventDefault();
      ALT_KEYS[event.code]();
      return;
    }
    // Ctrl+Z (⌘Z) undoes a replace while the draft is still what the replace left; in any other
    // field, or once the agent has typed since, the browser's own undo runs.
    const undoKey = (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.code === "KeyZ";
    const inOtherField = event.target !== els.draft && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
    if (undoKey && !inOtherField && !els.undo.hidden) {
      event.preventDefault();
      undoReplace();
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
    const count = state.suggestion ? views(state.suggestion).length : 0;
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
      renderUndo();
      checkSoon();
    });
    els.draft.addEventListener("scroll", () => { els.backdrop.scrollTop = els.draft.scrollTop; });
    els.draft.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { els.draft.value = ""; state.undo = []; requestCheck(); }
    });
    els.undo.addEventListener("click", undoReplace);
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
    wire();
    applyLanguage();
    loadHealth();
    setInterval(pingHealth, HEALTH_PING_MS);
    els.utterance.focus();
  }

  start();
})();
