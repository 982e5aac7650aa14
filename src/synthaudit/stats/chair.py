"""CHAIR object-hallucination rates (Rohrbach et al., 2018, "Object Hallucination in Image Captioning"; survey
section 6.2 quality, catalog ``vl_image.chair``).

Object mentions in a caption are mapped to the 80 COCO categories with the reference synonym list
(``coco_synonyms.txt``, from LisaAnne/Hallucination ``data/synonyms.txt``); a mention is hallucinated when its
category is not among the image's ground-truth objects. CHAIR_i = hallucinated mentions / all mentions (every
mention counts, repeats included); CHAIR_s = captions with >= 1 hallucinated mention / all captions.

Caption processing follows the reference ``utils/chair.py`` step by step: lower-case, tokenise, singularise every
token, merge two-token compounds left to right with the reference's table ("hot dog", "teddy bear", "motor bike",
"baseball bat", ...; "baby bird" -> bird, "adult cow" -> cow, "passenger train" -> train, "bow tie" -> tie,
"toilet seat" -> toilet), drop "seat" when "toilet" is also in the caption, keep the tokens that are COCO names or
synonyms and map them to their category. Known differences from the reference (numbers differ where they apply;
buses are common in COCO captions):

- tokeniser: the reference uses ``nltk.word_tokenize`` (needs the punkt data, not available offline); here a regex
  splits words (hyphenated words stay one token, as in word_tokenize; "dog's" -> "dog", "s") and keeps every other
  non-space character as its own token, so compounds are not merged across punctuation either.
- singulariser: the reference uses ``pattern.en.singularize``; here a small rule set in pattern's order
  (uninflected words, -ie words, irregular plurals, -ves, -es after x/ch/ss/sh/consonant+us, -oes for a listed
  set, -ies after a consonant, else drop a final s). Unlike pattern, words ending in -ss, -us or -is keep their
  s: pattern turns "bus" into "bu" (so the reference never detects a bus) and "glass" into "glas" (its "wine glas"
  patch), and its anchored "^tie" exception never fires (so "ties" becomes "ty"); here "bus" and "ties" are
  detected.
- synonym items are stripped and lower-cased: the reference's ``split(', ')`` keeps " motor bike" and " cheesecake"
  (double space in the file) with a leading space and "iPhone" upper-case, so those three never match there.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from importlib import resources
from typing import Sequence

# two-token compounds of the reference (each maps to itself; "stove top oven" has three tokens and never fires
# there either, "home plate" is not a COCO object and only stops "plate" from being read alone)
_DOUBLE_WORDS = ("motor bike", "motor cycle", "air plane", "traffic light", "street light", "traffic signal",
                 "stop light", "fire hydrant", "stop sign", "parking meter", "suit case", "sports ball",
                 "baseball bat", "baseball glove", "tennis racket", "wine glass", "hot dog", "cell phone",
                 "mobile phone", "teddy bear", "hair drier", "potted plant", "bow tie", "laptop computer",
                 "stove top oven", "home plate")
# qualifiers that would otherwise fire "person" ("baby bird" -> bird, "passenger jet" -> jet)
_ANIMAL_WORDS = ("bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "animal",
                 "cub")
_VEHICLE_WORDS = ("jet", "train")


def _double_word_table() -> dict[str, str]:
    table = {w: w for w in _DOUBLE_WORDS}
    for w in _ANIMAL_WORDS:
        table[f"baby {w}"] = w
        table[f"adult {w}"] = w
    for w in _VEHICLE_WORDS:
        table[f"passenger {w}"] = w
    table["bow tie"] = "tie"
    table["toilet seat"] = "toilet"
    table["wine glas"] = "wine glass"  # the reference's patch for pattern's "glass" -> "glas"; harmless here
    return table


DOUBLE_WORDS: dict[str, str] = _double_word_table()

# --- singularisation (rules after pattern.en.singularize, see the module docstring) ---
_UNINFLECTED = frozenset({"scissors", "series", "species", "sheep", "fish", "deer", "bison", "cattle", "news",
                          "pliers", "shears", "clippers", "trout", "salmon", "swine", "moose", "aircraft"})
_IE_WORDS = frozenset({"tie", "pie", "necktie", "bowtie", "collie", "doggie", "cookie", "movie", "zombie", "hoagie",
                       "goalie", "birdie", "brownie", "veggie", "rookie", "hippie", "beanie", "auntie", "calorie",
                       "prairie", "smoothie", "selfie", "cutie", "sweetie", "nightie", "budgie", "bookie", "pixie"})
_IRREGULAR_SUFFIX = (("people", "person"), ("children", "child"), ("men", "man"), ("geese", "goose"),
                     ("teeth", "tooth"), ("feet", "foot"))
_IRREGULAR = {"mice": "mouse", "oxen": "ox", "leaves": "leaf", "loaves": "loaf", "dice": "die"}
_NOT_MEN_PLURAL = frozenset({"specimen", "abdomen", "omen", "semen", "stamen", "regimen", "hymen", "amen", "ramen"})
_O_ES = frozenset({"potato", "tomato", "hero", "echo", "mango", "volcano", "torpedo", "domino", "mosquito",
                   "buffalo", "tornado", "cargo", "veto"})
_VES_RULES = ((re.compile(r"([aeo]l)ves$"), r"\1f"), (re.compile(r"([nlw]i)ves$"), r"\1fe"),
              (re.compile(r"([^d]ea)ves$"), r"\1f"), (re.compile(r"arves$"), "arf"),
              (re.compile(r"([aeo])ves$"), r"\1ve"))
_ES_RULE = re.compile(r"(x|ch|ss|sh|zz|[^aeiou]us)es$")  # "buses" -> bus, but "houses" -> house
_IES_RULE = re.compile(r"([^aeiouy]|qu)ies$")


def singularize(word: str) -> str:
    """Singular of a lower-case English noun by the rule set described in the module docstring."""
    if len(word) < 3 or not word.isalpha() or word in _UNINFLECTED:
        return word
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("ies") and word[:-1] in _IE_WORDS:
        return word[:-1]
    for plural, singular in _IRREGULAR_SUFFIX:
        if word.endswith(plural) and word not in _NOT_MEN_PLURAL:
            return word[: -len(plural)] + singular
    if word.endswith("ves"):
        for rule, repl in _VES_RULES:
            if rule.search(word):
                return rule.sub(repl, word)
    if _ES_RULE.search(word):
        return word[:-2]
    if word.endswith("oes") and word[:-2] in _O_ES:
        return word[:-2]
    if _IES_RULE.search(word):
        return word[:-3] + "y"
    if word.endswith(("ss", "us", "is")) or not word.endswith("s"):
        return word
    return word[:-1]


# words (hyphenated words stay whole, as in nltk.word_tokenize) or any other single non-space character
_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*|[^\w\s]|_")


class CocoObjects:
    """The 80 COCO categories with their CHAIR synonyms; ``CocoObjects.load()`` returns the packaged list, parsed
    once and cached."""

    def __init__(self, synonyms_text: str) -> None:
        self.categories: list[str] = []
        self.synonym_to_category: dict[str, str] = {}
        for line in synonyms_text.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            items = [" ".join(s.split()).lower() for s in line.split(",")]
            items = [s for s in items if s]
            self.categories.append(items[0])
            for s in items:
                self.synonym_to_category[s] = items[0]
        if not self.categories:
            raise ValueError("synonym list is empty: expected one line per category, 'name, synonym, ...'")

    @classmethod
    def load(cls) -> CocoObjects:
        return _packaged()

    def category(self, name: str) -> str:
        """COCO category of a category name or synonym (singular or plural); ValueError when it is neither."""
        if not isinstance(name, str):
            raise ValueError(f"object name must be a string, got {type(name).__name__}")
        key = " ".join(name.split()).lower()
        for cand in (key, " ".join(singularize(w) for w in key.split(" "))):
            if cand in self.synonym_to_category:
                return self.synonym_to_category[cand]
        raise ValueError(f"unknown object {name!r}: expected one of the {len(self.categories)} COCO category names "
                         "or one of their synonyms")

    def mention_spans(self, caption: str) -> list[tuple[str, str, int, int]]:
        """(category, surface text, start, end) of each object mention, in caption order; start/end index
        ``caption`` so the surface words can be highlighted."""
        if not isinstance(caption, str):
            raise ValueError(f"caption must be a string, got {type(caption).__name__}")
        toks = [(singularize(m.group().lower()), m.start(), m.end()) for m in _TOKEN.finditer(caption)]
        units: list[tuple[str, int, int]] = []
        i = 0
        while i < len(toks):
            if i + 1 < len(toks) and f"{toks[i][0]} {toks[i + 1][0]}" in DOUBLE_WORDS:
                units.append((DOUBLE_WORDS[f"{toks[i][0]} {toks[i + 1][0]}"], toks[i][1], toks[i + 1][2]))
                i += 2
            else:
                units.append(toks[i])
                i += 1
        words = {u[0] for u in units}
        if "toilet" in words and "seat" in words:  # "the seat of the toilet" is not a chair
            units = [u for u in units if u[0] != "seat"]
        return [(self.synonym_to_category[w], caption[s:e], s, e) for w, s, e in units
                if w in self.synonym_to_category]

    def mentions(self, caption: str) -> list[str]:
        """COCO category of every object mention in ``caption``, in order, one entry per mention."""
        return [m[0] for m in self.mention_spans(caption)]


@lru_cache(maxsize=1)
def _packaged() -> CocoObjects:
    text = resources.files("synthaudit.stats").joinpath("coco_synonyms.txt").read_text(encoding="utf-8")
    return CocoObjects(text)


def chair(captions: Sequence[str], gt_objects: Sequence[Sequence[str]], *,
          objects: CocoObjects | None = None) -> dict:
    """CHAIR_i and CHAIR_s of generated ``captions`` against each image's ground-truth objects (COCO names or
    synonyms, e.g. "man" -> person). Returns ``chair_i`` (NaN when no caption mentions an object; the reference
    divides by zero), ``chair_s``, the counts, and per caption its mentions, surface words, hallucinated surface
    words / categories and its own chair_i (0 without mentions, as in the reference)."""
    if isinstance(captions, str) or isinstance(gt_objects, str):
        raise ValueError("captions and gt_objects must be lists (one entry per image), not strings")
    if len(captions) == 0:
        raise ValueError("chair needs at least one caption")
    if len(captions) != len(gt_objects):
        raise ValueError(f"captions and gt_objects must have the same length, got {len(captions)} and "
                         f"{len(gt_objects)}")
    objects = objects or CocoObjects.load()
    per_caption = []
    n_mentions = n_hall = n_hall_caps = 0
    for k, (cap, gt) in enumerate(zip(captions, gt_objects)):
        if isinstance(gt, str):
            raise ValueError(f"gt_objects[{k}] must be a list of object names, not a string")
        gt_set = {objects.category(g) for g in gt}
        spans = objects.mention_spans(cap)
        hall = [(cat, word) for cat, word, _, _ in spans if cat not in gt_set]
        n_mentions += len(spans)
        n_hall += len(hall)
        n_hall_caps += bool(hall)
        per_caption.append({
            "mentions": [s[0] for s in spans],
            "words": [s[1] for s in spans],
            "hallucinated_words": [w for _, w in hall],
            "hallucinated_objects": [c for c, _ in hall],
            "chair_i": len(hall) / len(spans) if spans else 0.0,
        })
    return {
        "chair_i": n_hall / n_mentions if n_mentions else math.nan,
        "chair_s": n_hall_caps / len(captions),
        "n_captions": len(captions),
        "n_mentions": n_mentions,
        "n_hallucinated_mentions": n_hall,
        "n_hallucinated_captions": n_hall_caps,
        "captions": per_caption,
    }
