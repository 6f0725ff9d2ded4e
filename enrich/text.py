"""The one text normaliser: tag slugs, twin keys, name keys, the grounding fold and Chinese script.

Drafting, the vocabulary, `enrich check` and `enrich fix` all compare tags and names through these
functions, so they agree on what "the same tag" and "the same name" mean. The module is on check's
start-up path, so it stays light: OpenCC is imported only when a text has Chinese characters.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SLUG_SEPARATORS = re.compile(r"[\W_]+")
_DOTTED_ACRONYM = re.compile(r"\b[^\W\d_](?:\.[^\W\d_]\b)+\.?")  # u.s., a.i., e.g
_INNER_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
_SHARP = re.compile(r"(?<![^\W_])([^\W\d_])#")  # c#, f#: a single letter then #
# What a name key ignores besides case and width: spacing, middle dots, dashes, quotes, brackets, commas.
_NOT_WORD = re.compile(r"[\W_]+")  # \W includes every space
_ASCII_NOT_WORD = bytes(b for b in range(128) if not chr(b).isalnum())  # ASCII's \W, with _
_NAME_NOISE = frozenset(" \t\n\r\u3000·•・.-‐‑–—_'’‘\"“”《》「」『』〈〉<>()（）,，、:：!?！？")
# Words that end in -s and are not plurals (or whose plural is themselves).
_INVARIANT = frozenset(
    re.findall(
        r"\S+",
        "news earnings series species means headquarters savings thanks clothes diabetes herpes measles rabies "
        "mumps chaos kudos ethos pathos cosmos lens bias alias atlas canvas christmas texas kansas arkansas mars "
        "windows macos ipados watchos tvos visionos",
    )
)
# Plurals whose singular is not the rule's.
_IRREGULAR = {
    "crises": "crisis",
    "analyses": "analysis",
    "theses": "thesis",
    "hypotheses": "hypothesis",
    "diagnoses": "diagnosis",
    "children": "child",
    "women": "woman",
    "gpus": "gpu",  # acronyms in -u or -i: not -us, -is words
    "cpus": "cpu",
    "tpus": "tpu",
    "npus": "npu",
    "apis": "api",
    "kpis": "kpi",
}
# Plurals in -ics (most -ics words are fields of study, kept as they are).
_ICS_PLURALS = frozenset(re.findall(r"\S+", "topics metrics comics clinics lyrics tactics critics relics mimics skeptics"))
# Singulars in -ie, whose plural (-ies) must not become -y.
_IE_WORDS = frozenset(
    re.findall(
        r"\S+",
        "movie cookie zombie rookie calorie selfie prairie genie brownie hippie newbie smoothie foodie techie "
        "indie lingerie pixie freebie goalie hoodie birdie auntie",
    )
)
# Singulars in -che, whose plural (-ches) must not lose its e.
_CHE_WORDS = frozenset(re.findall(r"\S+", "cache niche headache cliche avalanche psyche moustache microniche"))


def has_cjk(text: str) -> bool:
    """Whether `text` has a Chinese (CJK ideograph) character."""
    return bool(_CJK.search(text))


@functools.cache
def _converter() -> Any:
    """OpenCC Traditional→Simplified converter, created on first use (~4 ms import, ~10 ms tables)."""
    import opencc

    try:
        return opencc.OpenCC("t2s")
    except Exception:  # the binary `opencc` package spells configs with .json
        return opencc.OpenCC("t2s.json")


@functools.lru_cache(maxsize=65536)
def _to_simplified_short(text: str) -> str:
    return str(_converter().convert(text))


def to_simplified(text: str) -> str:
    """Simplified Chinese for any Traditional characters in `text`; other text unchanged (no OpenCC)."""
    if not has_cjk(text):
        return text
    if len(text) <= 64:
        return _to_simplified_short(text)
    return str(_converter().convert(text))


def _strip_accents(text: str) -> str:
    """café -> cafe, Zürich -> zurich; marks on non-Latin letters (kana) are kept."""
    if text.isascii():
        return text
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out and out[-1].isascii():
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@functools.lru_cache(maxsize=131072)
def tag_slug(phrase: str) -> str:
    """The kebab-case tag for any phrase; empty when nothing is left.

    Width, case and Latin accents are folded (`Ｃafé` -> `cafe`); `&` and `/` separate words
    (`AI & ML` -> `ai-ml`); `+` reads "plus" (`C++` -> `c-plus-plus`, `Google+` -> `google-plus`);
    `#` after a single letter reads "sharp" (`C#` -> `c-sharp`); a dotted acronym joins (`U.S. Policy`
    -> `us-policy`, `A.I.` -> `ai`) while other dots separate (`node.js` -> `node-js`, `4.5` -> `4-5`);
    an apostrophe inside a word goes (`women's health` -> `womens-health`); any other run of
    non-letters and non-digits is one hyphen. Chinese characters are kept (`AI 芯片` -> `ai-芯片`), so a
    profile whose pattern allows them gets them and the default pattern reports them.
    """
    text = _strip_accents(unicodedata.normalize("NFKC", phrase)).casefold()
    text = text.replace("+", " plus ")
    text = _SHARP.sub(r"\1 sharp ", text)
    text = _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", ""), text)
    text = _INNER_APOSTROPHE.sub("", text)
    return "-".join(p for p in _SLUG_SEPARATORS.split(text) if p)


def singular(word: str) -> str:
    """The singular of one lowercase English word, as tags and term matching compare words.

    Words of three letters or fewer, words ending in -ss, -us, -is or -ics (`analytics`, `physics`,
    `status`, `analysis`) and known invariants (`news`, `earnings`, `series`, `windows`) are kept;
    -ies becomes -y (`policies`, but `movies` -> `movie`), -sses/-shes/-ches/-xes lose -es
    (`caches` -> `cache`), a few irregulars are known (`crises`, `children`, `gpus`, `topics`), any
    other -s goes.
    """
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word in _ICS_PLURALS:
        return word[:-1]
    if len(word) <= 3 or word in _INVARIANT or word.endswith(("ss", "us", "is", "ics")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-1] if word[:-1] in _IE_WORDS else word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-1] if word[:-1] in _CHE_WORDS else word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def twin_words(tag: str) -> list[str]:
    """The words of a tag's slug, each singular (`AI_Agents` -> ['ai', 'agent'])."""
    return [singular(w) for w in tag_slug(tag).split("-") if w]


@functools.lru_cache(maxsize=131072)
def twin_key(tag: str) -> str:
    """What two tags that differ only by case, separators or plural share.

    `AI_Agents`, `ai-agents`, `ai agent` and `aiagent` all give `aiagent`: words singular, joined with
    no separator. A tag with Chinese characters gives its name key (script and punctuation folded).
    """
    if has_cjk(tag):
        return name_key(tag)
    return "".join(twin_words(tag))


@functools.lru_cache(maxsize=131072)
def name_key(name: str) -> str:
    """What two spellings of one name share: width, case, spacing, punctuation and Traditional/Simplified.

    `NVIDIA` / `Nvidia`, `唐纳德·特朗普` / `唐納德 特朗普`, `《三体》` / `三体` share a key. OpenCC runs only
    when the name has Chinese characters.
    """
    text = unicodedata.normalize("NFKC", name).strip()
    if has_cjk(text):
        text = to_simplified(text)
    return "".join(ch for ch in text.casefold() if ch not in _NAME_NOISE)


def spelling_key(text: str) -> str:
    """Width, case and spacing folded, nothing else: `Xi  jinping` and `Xi Jinping`, `Tech ` and `tech`.

    Stricter than `name_key` (punctuation and script count): for what differs only in how it was typed.
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def fold(text: str) -> str:
    """Grounding's comparison form: NFKC, case-folded, without spaces, punctuation or underscores.

    Looser than `name_key` on purpose: a name is grounded when its folded form is a substring of the
    folded transcript, whatever the transcript's punctuation.
    """
    if text.isascii():  # NFKC changes no ASCII, casefold is lower: a byte table (a tenth of the time)
        return text.lower().encode("ascii").translate(None, _ASCII_NOT_WORD).decode("ascii")
    # Punctuation goes first: a transcript is then often NFKC already (its full-width commas gone) and
    # the rest works on less text (a third faster on the corpus). So a compatibility symbol that NFKC
    # would spell with letters (™, ℃, ㎏) counts as punctuation, on both sides of a comparison alike.
    text = _NOT_WORD.sub("", text)
    if not unicodedata.is_normalized("NFKC", text):  # the check is a hundredth of normalising
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    return text if text.isalnum() or not text else _NOT_WORD.sub("", text)  # NFKC or casefold may add marks
