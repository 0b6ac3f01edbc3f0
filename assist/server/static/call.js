// Following a live call: /?call=ID shows the suggestions and draft findings pushed as the
// transcript's turns arrive (Server-Sent Events), with feedback buttons.
// The bearer token never goes into a URL: an authenticated POST returns a short-lived
// ticket as an HttpOnly cookie scoped to the stream, which EventSource then sends.
(() => {
  "use strict";
  const callId = new URLSearchParams(location.search).get("call");
  if (!callId || !/^[A-Za-z0-9_.:-]{1,64}$/.test(callId)) return;

  const TEXT = {
    zh: {
      following: "正在跟随通话", waiting: "等待客户发言…", lost: "连接中断，正在重连…",
      reply: "建议回复", escalation: "升级路径", steps: "步骤", runnerUps: "备选话术",
      used: "采用", edited: "修改后采用", rejected: "不采用", choose: "改用此条",
      saveEdit: "保存修改", abstained: "没有足够接近的话术，请先澄清客户需求",
      agentOk: "坐席发言：未发现合规问题", agentFindings: "坐席发言的合规问题",
      feedbackSaved: "已记录反馈", pinnedBy: "固定依据", details: "详情",
    },
    en: {
      following: "Following call", waiting: "Waiting for the customer…", lost: "Connection lost, reconnecting…",
      reply: "Suggested reply", escalation: "Escalation path", steps: "Steps", runnerUps: "Runner-ups",
      used: "Used", edited: "Edited", rejected: "Rejected", choose: "Use this instead",
      saveEdit: "Save edit", abstained: "No script is close enough: ask the customer to clarify",
      agentOk: "Agent turn: no compliance findings", agentFindings: "Compliance findings in the agent's turn",
      feedbackSaved: "Feedback recorded", pinnedBy: "Pinned by", details: "Details",
    },
  };
  const lang = () => (document.documentElement.lang === "en" ? "en" : "zh");
  const t = (key) => TEXT[lang()][key];
  const token = () => {
    try { return sessionStorage.getItem("assist.token") || ""; } catch (_) { return ""; }
  };
  const headers = () => {
    const out = { "Content-Type": "application/json" };
    if (token()) out.Authorization = `Bearer ${token()}`;
    return out;
  };

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  const state = { last: null, lastCheck: null, lastSeq: 0, source: null, eventNo: 0 };
  const panel = el("section", { id: "call-panel", class: "call-panel", "aria-live": "polite" });
  const status = el("div", { id: "call-status", class: "call-status" });
  const banner = el("div", { id: "call-banner", class: "call-banner", role: "alert" });
  const body = el("div", { id: "call-suggestion", class: "call-suggestion" });
  const agent = el("div", { id: "call-agent", class: "call-agent" });
  const note = el("div", { id: "call-note", class: "call-note", role: "status" });
  banner.hidden = true;
  panel.append(status, banner, body, agent, note);

  function mount() {
    const link = el("link", { rel: "stylesheet", href: "/static/call.css" });
    document.head.append(link);
    const pane = document.querySelector("main .pane");
    if (pane) pane.prepend(panel); else document.body.prepend(panel);
    setStatus(t("following"));
    body.append(el("p", { class: "call-empty", text: t("waiting") }));
  }

  function setStatus(text) {
    status.replaceChildren(el("span", { class: "call-dot" }), el("span", { text: `${text} ` }),
                           el("code", { class: "call-id", text: callId }));
  }

  function showSuggestion(data) {
    state.last = data;
    const alerts = data.alerts || [];
    banner.hidden = alerts.length === 0;
    banner.className = "call-banner " + (alerts.some((a) => a.code.endsWith("_pinned")) ? "red" : "amber");
    banner.replaceChildren(...alerts.map((a) => el("div", { class: "call-alert", "data-code": a.code,
                                                            text: lang() === "en" ? a.message_en : a.message })));
    const top = (data.candidates || [])[0];
    const parts = [el("div", { class: "call-label", text: t("reply") })];
    parts.push(el("p", { id: "call-reply", class: "call-reply",
                         text: data.abstained ? `${data.reply}（${t("abstained")}）` : data.reply }));
    if (top && !data.abstained) {
      parts.push(el("details", { class: "call-meta" }, el("summary", { text: t("details") }),
        el("code", { id: "call-script", text: top.script_id }),
        data.pinned_by ? el("span", { class: "call-pin", text: ` · ${t("pinnedBy")} ${data.pinned_by}` }) : null));
      if (top.steps && top.steps.length) {
        parts.push(el("div", { class: "call-label", text: t("steps") }),
                   el("ol", { class: "call-steps" }, ...top.steps.map((s) => el("li", { text: s }))));
      }
    }
    if (data.escalation) {
      parts.push(el("div", { class: "call-label", text: t("escalation") }),
                 el("p", { id: "call-escalation", class: "call-escalation", text: data.escalation }));
    }
    const buttons = el("div", { class: "call-actions" },
      button("used", "Alt+U"), button("edited", "Alt+E"), button("rejected", "Alt+X"));
    parts.push(buttons);
    const others = (data.candidates || []).slice(data.abstained ? 0 : 1, 4);
    if (others.length) {
      parts.push(el("div", { class: "call-label", text: t("runnerUps") }));
      others.forEach((c, i) => {
        const key = `Alt+Shift+${i + 2}`;
        const choose = el("button", { type: "button", class: "btn btn-small call-choose",
                                      "data-script": c.script_id, text: `${t("choose")} ` },
                          el("kbd", { text: key }));
        choose.addEventListener("click", () => send("runner_up", c.script_id));
        parts.push(el("div", { class: "call-runner" },
                      el("span", { class: "call-runner-reply", text: `${c.reply} ` }), choose,
                      el("details", { class: "call-meta" }, el("summary", { text: t("details") }),
                         el("code", { text: c.script_id }))));
      });
    }
    body.replaceChildren(...parts);
  }

  function button(action, key) {
    const node = el("button", { type: "button", class: "btn btn-small", id: `call-${action}`,
                                text: `${t(action)} ` }, el("kbd", { text: key }));
    node.addEventListener("click", () => (action === "edited" ? edit() : send(action)));
    return node;
  }

  function edit() {
    if (!state.last || document.getElementById("call-edit")) return;
    const area = el("textarea", { id: "call-edit", class: "call-edit", rows: "3", maxlength: "2000" });
    area.value = state.last.reply;
    const save = el("button", { type: "button", class: "btn btn-small", text: t("saveEdit") });
    save.addEventListener("click", () => send("edited", null, area.value));
    body.append(area, save);
    area.focus();
  }

  async function send(action, scriptId = null, finalText = null) {
    if (!state.last) return;
    state.eventNo += 1;
    const payload = { event_id: `${state.last.turn_id}-${action}-${state.eventNo}-${Date.now() % 100000}`,
                      turn_id: state.last.turn_id, action };
    if (scriptId) payload.script_id = scriptId;
    if (finalText) payload.final_text = finalText;
    const response = await fetch(`/v1/calls/${encodeURIComponent(callId)}/feedback`,
                                 { method: "POST", headers: headers(), body: JSON.stringify(payload) });
    note.textContent = response.ok ? `${t("feedbackSaved")}: ${t(action === "runner_up" ? "choose" : action)}`
                                   : `${response.status}`;
  }

  function showCheck(data) {
    state.lastCheck = data;
    const found = data.violations || [];
    agent.replaceChildren(el("div", { class: "call-label", text: found.length ? t("agentFindings") : t("agentOk") }),
      ...found.slice().sort((a, b) => (a.severity === "block" ? 0 : 1) - (b.severity === "block" ? 0 : 1))
        .map((v) => el("div", { class: `call-finding ${v.severity}` },
                       el("strong", { text: v.matched_text }), el("span", { text: ` → ${v.suggestion}` }))));
  }

  async function follow() {
    const response = await fetch(`/v1/calls/${encodeURIComponent(callId)}/ticket`,
                                 { method: "POST", headers: headers(), credentials: "same-origin" });
    if (!response.ok) { setStatus(t("lost")); setTimeout(follow, 2000); return; }
    const source = new EventSource(`/calls/${encodeURIComponent(callId)}/events?after=${state.lastSeq}`);
    state.source = source;
    const handle = (kind) => (event) => {
      const seq = Number(event.lastEventId || 0);
      if (seq && seq <= state.lastSeq) return;
      state.lastSeq = seq || state.lastSeq;
      const data = JSON.parse(event.data);
      if (kind === "suggestion") showSuggestion(data);
      else if (kind === "check") showCheck(data);
    };
    source.addEventListener("open", () => setStatus(t("following")));
    source.addEventListener("suggestion", handle("suggestion"));
    source.addEventListener("check", handle("check"));
    source.addEventListener("feedback", handle("feedback"));
    source.addEventListener("error", () => {
      setStatus(t("lost"));
      if (source.readyState === EventSource.CLOSED) setTimeout(follow, 1000);
    });
  }

  document.addEventListener("keydown", (event) => {
    if (!event.altKey || !state.last) return;
    const keys = { KeyU: "used", KeyX: "rejected" };
    if (!event.shiftKey && keys[event.code]) { event.preventDefault(); send(keys[event.code]); return; }
    if (!event.shiftKey && event.code === "KeyE") { event.preventDefault(); edit(); return; }
    const digit = /^Digit([2-4])$/.exec(event.code);
    if (event.shiftKey && digit) {
      const buttons = panel.querySelectorAll(".call-choose");
      const target = buttons[Number(digit[1]) - 2];
      if (target) { event.preventDefault(); target.click(); }
    }
  });

  // The console's language toggle (app.js) sets <html lang>; redraw the panel in the new language.
  new MutationObserver(() => {
    setStatus(t("following"));
    if (state.last) showSuggestion(state.last);
    if (state.lastCheck) showCheck(state.lastCheck);
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => { mount(); follow(); });
  else { mount(); follow(); }
})();
