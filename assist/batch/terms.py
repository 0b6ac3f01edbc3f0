"""Salient terms of gap texts: the whole words that may name a cluster, and a process to find them in.

Chinese is segmented by jieba's dictionary (「数字人民币」 → 数字, 人民币, never the fragment
字人民), Latin words are kept whole (``ETC`` is one term); :mod:`assist.batch.gaps` names
its clusters by the terms over-represented among their members.

jieba's dictionary is read as a table from the user cache (:mod:`assist.batch.word_table`;
jieba's own load costs about a second of CPU and 60 MB where the table cannot be kept). A run on worker processes
would otherwise load it beside them and take that CPU from the lookups (or wait for it at
the end). :class:`TermService` loads it instead in a process of its own, forked before the
run loads its assistant, which keeps one core busy while the other is idle; at the end it
computes the sample's candidate terms while the run clusters the sample.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assist.text.normalise import normalise
from assist.text.redact import PLACEHOLDERS

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

MAX_MERGED = 4
"""Single characters merged into one term at most (a word jieba does not know)."""

_LATIN_TERM = re.compile(r"[A-Za-z][A-Za-z0-9]+(?:'[a-z]+)?")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK_ONLY = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))
_STOP_CHARS = frozenset(
    "的了吗呢吧啊呀嘛哦么我你您他她它们是在就都也还"
    "把被给个这那说不和跟又很会能怎什为得着过让对请啥咋"
)
"""A Chinese n-gram that starts or ends with one of these is glue, not a topic."""
_CJK_STOPWORDS = frozenset({
    "然后", "根本", "明明", "可以", "怎么", "什么", "一下", "已经", "现在", "还是", "就是", "没有", "这个", "那个",
    "因为", "所以", "但是", "如果", "还有", "一直", "今天", "昨天", "今年", "一个", "这样", "那样", "为什么", "怎么办",
    "请问", "你好", "您好", "谢谢", "麻烦", "知道", "需要", "应该", "能不能", "是不是", "有没有", "不是", "不能",
})
"""Chinese words that carry no topic (fillers, question words, pronoun compounds)."""
_STOPWORDS = frozenset({
    "the", "and", "for", "you", "your", "are", "was", "were", "can", "could", "would", "will",
    "what", "how", "does", "did", "this", "that", "with", "have", "has", "had", "now", "there",
    "please", "hello", "not", "but", "get", "need", "want", "from", "they", "them", "our", "its",
    "why", "when", "where", "who", "any", "just", "about", "been", "after", "before", "still",
    "i'm", "don't", "can't", "it's", "i've", "also", "some", "what's", "that's", "there's", "i'd",
    "i'll", "you're", "won't", "didn't", "doesn't", "isn't", "should", "which", "into", "then",
})


def salient_candidates(text: str) -> frozenset[str]:
    """Terms that may name a cluster: whole words, Chinese segmented by jieba's dictionary
    (「数字人民币」 → 数字, 人民币, never the fragment 字人民) and Latin words kept whole
    (``ETC`` is one term).

    Placeholders left by redaction, single characters, digits, stop words and Chinese
    words holding a function character at either end are left out.
    """
    cleaned = _PLACEHOLDER.sub(" ", text)
    # Traditional and simplified spellings of one word count as one term (講 = 讲);
    # Latin words keep their case (ETC, ATM), so only the Chinese is normalised.
    cleaned = _CJK_RUN.sub(lambda run: normalise(run.group()), cleaned)
    kept = set()
    for word in segment(cleaned):
        term = word.strip()
        if len(term) < 2 or term.isdigit():
            continue
        if _CJK_ONLY.match(term):
            if term[0] not in _STOP_CHARS and term[-1] not in _STOP_CHARS and term not in _CJK_STOPWORDS:
                kept.add(term)
        elif _LATIN_TERM.fullmatch(term) and term.lower() not in _STOPWORDS and not term.isdigit():
            kept.add(term if term.isupper() else term.lower())
    return frozenset(kept)


_SEGMENTER_LOCK = threading.Lock()
_SEGMENTER: list[Any] = []
"""The tokenizer :func:`segment` cuts with, once loaded."""


def _load_segmenter() -> Any:
    """jieba's tokenizer, loaded once: one reading the dictionary's table from the user cache
    (:mod:`assist.batch.word_table`: a few hundredths of a second and a few MB, instead of
    jieba's own load, about a second of CPU and 60 MB), or jieba's own where that table cannot
    be kept. Loaded when the clusters are named, after the lookups."""
    import logging

    import jieba

    from assist.batch.word_table import tokenizer
    from assist.compliance.semantic import cache_folder

    with _SEGMENTER_LOCK:
        if not _SEGMENTER:
            jieba.setLogLevel(logging.WARNING)
            cutter = tokenizer(cache_folder() / "jieba")
            if cutter is None:
                jieba.initialize()
                cutter = jieba.dt
            _SEGMENTER.append(cutter)
        return _SEGMENTER[0]


def preload_segmenter() -> threading.Thread:
    """Start loading jieba's dictionary on a background thread (a run does this while its
    lookups run in worker processes, so that naming the clusters need not wait for it)."""
    thread = threading.Thread(target=_load_segmenter, name="jieba-preload", daemon=True)
    thread.start()
    return thread


def segment(text: str) -> list[str]:
    """Words of ``text`` (jieba, precise mode, no HMM guessing of unknown words)."""
    cutter = _load_segmenter()
    words: list[str] = []
    run: list[str] = []
    for word in [*cutter.lcut(text, HMM=False), ""]:
        # Characters jieba's dictionary does not join (吞 卡) are merged back into one term.
        if len(word) == 1 and _CJK_ONLY.match(word) and word not in _STOP_CHARS and len(run) < MAX_MERGED:
            run.append(word)
            continue
        if run:
            words.append("".join(run))
            run = []
        if word:
            words.append(word)
    return words


class TermService:
    """:func:`salient_candidates` in a process of its own, which loads jieba's dictionary as it
    starts (see the module's docstring). Send the texts with :meth:`submit`, then collect their
    candidates, in order, with :meth:`result`; :meth:`close` ends the process."""

    def __init__(self, process: BaseProcess, connection: Connection) -> None:
        self._process = process
        self._connection = connection
        self._pending = False

    @classmethod
    def start(cls) -> TermService | None:
        """A running service, forked from this process; None where forking is not safe (see
        :func:`assist.batch.parallel.fork_is_safe`: the caller then segments in process)."""
        import multiprocessing

        from assist.batch.parallel import fork_is_safe

        if not fork_is_safe():
            return None
        context = multiprocessing.get_context("fork")
        mine, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs, mine), name="assist-terms", daemon=True)
        process.start()
        theirs.close()
        return cls(process, mine)

    def submit(self, texts: Sequence[str]) -> None:
        """Start finding the candidate terms of ``texts`` (one request at a time)."""
        self._connection.send(list(texts))
        self._pending = True

    def result(self) -> list[frozenset[str]]:
        """The candidates of the texts last submitted, in their order. A service that died
        raises :class:`EOFError` or :class:`OSError`; the caller then segments in process."""
        self._pending = False
        reply: list[frozenset[str]] = self._connection.recv()
        return reply

    def close(self) -> None:
        """End the process (it also ends on its own when this one closes the pipe or exits)."""
        try:
            self._connection.close()
        finally:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join()


def _serve(connection: Connection, parents_end: Connection) -> None:
    """The service's process: load jieba, then answer each list of texts with their candidates
    until the pipe closes."""
    parents_end.close()  # the parent's end, inherited: closed so that its closing ends the loop
    _load_segmenter()
    while True:
        try:
            texts = connection.recv()
        except (EOFError, OSError):
            return
        connection.send([salient_candidates(text) for text in texts])
