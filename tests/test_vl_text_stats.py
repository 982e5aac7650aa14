"""CHAIR (vl_image.chair) on hand-worked captions, and caption/answer text statistics: METEOR against nltk's
meteor_score with an empty WordNet, ROUGE against hand-worked LCS fixtures and generate.text.rouge, QA exact match,
the refusal matcher and the win rate (Wilson interval against statsmodels)."""
from __future__ import annotations

import math

import pytest

from synthaudit.stats.caption_text import (
    METEOR_VARIANT,
    REFUSAL_MATCHER_VERSION,
    REFUSAL_PATTERNS,
    exact_match,
    is_refusal,
    meteor,
    meteor_tokens,
    normalize_answer,
    rouge,
    win_rate,
)
from synthaudit.stats.chair import CocoObjects, chair, singularize

# --- CHAIR ---


def test_synonym_list_has_the_80_coco_categories():
    objs = CocoObjects.load()
    assert objs is CocoObjects.load()  # parsed once, cached
    assert len(objs.categories) == 80 and len(set(objs.categories)) == 80
    for name in ("person", "dining table", "tv", "potted plant", "hair drier", "cell phone", "sports ball", "skis",
                 "teddy bear", "toothbrush"):
        assert name in objs.categories
    # items are stripped and lower-cased (the reference file has " motor bike", " cheesecake" and "iPhone")
    assert objs.category("motor bike") == "motorcycle"
    assert objs.category("cheesecake") == "cake"
    assert objs.category("iPhone") == "cell phone"


@pytest.mark.parametrize("plural, singular", [
    ("dogs", "dog"), ("people", "person"), ("children", "child"), ("grandchildren", "grandchild"), ("men", "man"),
    ("women", "woman"), ("policemen", "policeman"), ("geese", "goose"), ("mice", "mouse"), ("oxen", "ox"),
    ("knives", "knife"), ("calves", "calf"), ("shelves", "shelf"), ("gloves", "glove"), ("stoves", "stove"),
    ("microwaves", "microwave"), ("buses", "bus"), ("minibuses", "minibus"), ("houses", "house"),
    ("glasses", "glass"), ("benches", "bench"), ("couches", "couch"), ("sandwiches", "sandwich"),
    ("toothbrushes", "toothbrush"), ("buffaloes", "buffalo"), ("canoes", "canoe"), ("puppies", "puppy"),
    ("ladies", "lady"), ("ferries", "ferry"), ("ties", "tie"), ("collies", "collie"), ("cowboys", "cowboy"),
    ("giraffes", "giraffe"), ("horses", "horse"), ("purses", "purse"), ("oranges", "orange"), ("tvs", "tv"),
    # unchanged: uninflected, already singular, not a plain alphabetic word
    ("sheep", "sheep"), ("scissors", "scissors"), ("skis", "skis"), ("bus", "bus"), ("glass", "glass"),
    ("tennis", "tennis"), ("cattle", "cattle"), ("t-shirts", "t-shirts"), ("is", "is"), ("42", "42"),
])
def test_singularize(plural, singular):
    assert singularize(plural) == singular


def test_mentions_compounds_synonyms_and_special_cases():
    objs = CocoObjects.load()
    assert objs.mentions("Two men ride motor bikes past a fire hydrant.") == ["person", "motorcycle", "fire hydrant"]
    # compounds are one mention of their own category, not "dog" / "bear" / "bird" + "person"
    assert objs.mentions("A baby bird near teddy bears and hot dogs.") == ["bird", "teddy bear", "hot dog"]
    assert objs.mentions("Passenger trains and an adult giraffe") == ["train", "giraffe"]
    assert objs.mentions("a man in a bow tie with a baseball bat") == ["person", "tie", "baseball bat"]
    # a toilet's seat is not a chair; without a toilet a seat is a chair
    assert objs.mentions("The seat of the toilet is up.") == ["toilet"]
    assert objs.mentions("An empty seat.") == ["chair"]
    assert objs.mentions("A toilet seat and a stool") == ["toilet", "chair"]
    # synonyms, one entry per mention, repeats kept
    assert objs.mentions("A cellphone, a cell phone and a smartphone") == ["cell phone"] * 3
    assert objs.mentions("A dog and another dog; a puppy.") == ["dog", "dog", "dog"]
    # compounds are not merged across punctuation; hyphenated words are one token
    assert objs.mentions("hot, dog") == ["dog"]
    assert objs.mentions("a hot-dog stand") == []
    # unicode text around the mentions, curly apostrophes
    assert objs.mentions("Un café à Zürich – a dog’s bowl") == ["dog", "bowl"]
    assert objs.mentions("") == [] and objs.mentions("A sunny day at the beach.") == []
    with pytest.raises(ValueError, match="caption must be a string"):
        objs.mentions(None)


def test_mention_spans_index_the_original_caption():
    cap = "Two HOT DOGS and a Woman’s cellphone"
    spans = CocoObjects.load().mention_spans(cap)
    assert [(c, w) for c, w, _, _ in spans] == [("hot dog", "HOT DOGS"), ("person", "Woman"),
                                               ("cell phone", "cellphone")]
    assert all(cap[s:e] == w for _, w, s, e in spans)


def test_chair_worked_example():
    captions = [
        "A man rides a motor bike next to two dogs.",          # person, motorcycle, dog*       -> 1 of 3
        "Two hot dogs and a cellphone on a dining table.",    # hot dog, cell phone*, table   -> 1 of 3
        "Teddy bears sit on the seat of a toilet.",           # teddy bear, toilet            -> 0 of 2
        "A sunny day at the beach.",                          # no mention                    -> 0 of 0
        "Un café à Zürich – a woman’s umbrella.",             # person, umbrella*             -> 1 of 2
    ]
    gt = [["motorcycle", "person"], ["hot dog", "dining table"], ["teddy bear", "toilet"], ["person"],
          ["woman"]]  # a synonym as ground truth maps to its category
    out = chair(captions, gt)
    assert out["n_captions"] == 5 and out["n_mentions"] == 10
    assert out["n_hallucinated_mentions"] == 3 and out["n_hallucinated_captions"] == 3
    assert out["chair_i"] == pytest.approx(3 / 10)
    assert out["chair_s"] == pytest.approx(3 / 5)
    per = out["captions"]
    assert per[0]["mentions"] == ["person", "motorcycle", "dog"]
    assert per[0]["words"] == ["man", "motor bike", "dogs"]
    assert per[0]["hallucinated_words"] == ["dogs"] and per[0]["hallucinated_objects"] == ["dog"]
    assert per[0]["chair_i"] == pytest.approx(1 / 3)
    assert per[1]["hallucinated_words"] == ["cellphone"] and per[1]["hallucinated_objects"] == ["cell phone"]
    assert per[1]["words"] == ["hot dogs", "cellphone", "table"]
    assert per[2]["hallucinated_words"] == [] and per[2]["chair_i"] == 0.0
    assert per[3]["mentions"] == [] and per[3]["chair_i"] == 0.0
    assert per[4]["hallucinated_words"] == ["umbrella"]


def test_chair_ground_truth_forms_and_repeats():
    # plural / synonym ground truth; a repeated hallucinated object counts once per mention
    out = chair(["A cat and a cat and a kitten near people"], [["dogs", "People"]])
    assert out["n_mentions"] == 4 and out["n_hallucinated_mentions"] == 3
    assert out["chair_i"] == pytest.approx(0.75) and out["chair_s"] == 1.0
    assert out["captions"][0]["hallucinated_words"] == ["cat", "cat", "kitten"]
    # nothing mentioned anywhere: CHAIR_i undefined (NaN), CHAIR_s 0
    out = chair(["Nothing to see here.", ""], [[], ["person"]])
    assert math.isnan(out["chair_i"]) and out["chair_s"] == 0.0 and out["n_mentions"] == 0


def test_chair_bad_input():
    with pytest.raises(ValueError, match="at least one caption"):
        chair([], [])
    with pytest.raises(ValueError, match="same length"):
        chair(["a dog"], [["dog"], ["cat"]])
    with pytest.raises(ValueError, match="unknown object 'spaceship'"):
        chair(["a dog"], [["spaceship"]])
    with pytest.raises(ValueError, match="not a string"):
        chair(["a dog"], ["dog"])
    with pytest.raises(ValueError, match="lists"):
        chair("a dog", [["dog"]])
    with pytest.raises(ValueError, match="caption must be a string"):
        chair([None], [["dog"]])


def test_custom_synonym_list():
    objs = CocoObjects("# comment\nwidget, gadget,  doohickey\n\nsprocket\n")
    assert objs.categories == ["widget", "sprocket"]
    assert objs.mentions("Gadgets, a doohickey and sprockets") == ["widget", "widget", "sprocket"]
    out = chair(["a gadget and a sprocket"], [["widget"]], objects=objs)
    assert out["chair_i"] == 0.5
    with pytest.raises(ValueError, match="empty"):
        CocoObjects("# only a comment\n")


# --- METEOR ---


class _NoWordNet:
    """Stand-in for nltk's WordNet reader with no synsets: nltk's third (synonym) stage then adds nothing."""

    def synsets(self, word):
        return []


def _nltk_meteor(hyp: str, refs: list[str], **kw) -> float:
    from nltk.translate.meteor_score import meteor_score

    return meteor_score([meteor_tokens(r) for r in refs], meteor_tokens(hyp), wordnet=_NoWordNet(), **kw)


METEOR_PAIRS = [
    ("a man is riding a horse", ["a man is riding a horse"]),                         # identical
    ("the cat sat", ["dogs run fast"]),                                               # disjoint
    ("the cat sat on the mat", ["on the mat sat the cat"]),                           # reordered
    ("the dogs were running quickly", ["a dog runs quick"]),                          # stem matches
    ("the the the cat", ["the cat the"]),                                             # repeats
    ("It is a guide to action which ensures that the military always obeys the commands of the party",
     ["It is a guide to action that ensures that the military will forever heed Party commands",
      "It is the guiding principle which guarantees the military forces always being under the command of the "
      "Party", "It is the practical guide for the army always to heed the directions of the party"]),
    ("A giraffe eating leaves.", ["Two giraffes eat leaves from a tree.", "A giraffe is eating."]),  # multi-ref
    ("", ["a cat"]),                                                                  # empty hypothesis
    ("a cat", [""]),                                                                  # empty reference
]


@pytest.mark.parametrize("hyp, refs", METEOR_PAIRS)
def test_meteor_matches_nltk_without_wordnet(hyp, refs):
    assert meteor(hyp, refs) == pytest.approx(_nltk_meteor(hyp, refs), abs=1e-12)
    kw = {"alpha": 0.8, "beta": 2.0, "gamma": 0.3}
    assert meteor(hyp, refs, **kw) == pytest.approx(_nltk_meteor(hyp, refs, **kw), abs=1e-12)


def test_meteor_by_hand():
    # six exact matches in six chunks: Fmean = 1, penalty = 0.5 * (6/6)^3
    assert meteor("the cat sat on the mat", ["on the mat sat the cat"]) == pytest.approx(0.5)
    # identical: one chunk of six
    assert meteor("the cat sat on the mat", ["The cat sat on the mat."]) == pytest.approx(1 - 0.5 / 216)
    # P = 1, R = 2/3, two chunks of one
    f = (2 / 3) / (0.9 + 0.1 * 2 / 3)
    assert meteor("a cat", ["a small cat"]) == pytest.approx(f * (1 - 0.5))
    # the best reference wins
    assert meteor("a cat", ["a dog", "a cat"]) == pytest.approx(1 - 0.5 / 8)
    assert meteor("", ["a cat"]) == 0.0 and meteor("a dog", ["a cat"]) > 0  # "a" matches
    assert meteor_tokens("Don’t stop, A-1 Café!") == ["don't", "stop", "a", "1", "café"]
    assert "no WordNet" in METEOR_VARIANT


def test_meteor_bad_input():
    with pytest.raises(ValueError, match="non-empty list"):
        meteor("a cat", [])
    with pytest.raises(ValueError, match="non-empty list"):
        meteor("a cat", "a cat")
    with pytest.raises(ValueError, match="hypothesis must be a string"):
        meteor(None, ["a cat"])
    with pytest.raises(ValueError, match="alpha"):
        meteor("a cat", ["a cat"], alpha=1.5)


# --- ROUGE ---


def test_rouge_hand_worked_fixture():
    hyp, ref = "the cat was found under the bed", "the cat was under the bed"
    # LCS = 6 of 7 hypothesis and 6 reference tokens: F = 2 (6/7)(1) / (6/7 + 1) = 12/13
    assert rouge(hyp, ref, "rougeL", use_stemmer=False) == pytest.approx(12 / 13)
    # unigrams: 6 of 7 and 6 of 6 overlap -> same F; bigrams: 4 of 6 and 4 of 5 -> 8/11
    assert rouge(hyp, ref, "rouge1", use_stemmer=False) == pytest.approx(12 / 13)
    assert rouge(hyp, ref, "rouge2", use_stemmer=False) == pytest.approx(8 / 11)
    # the stemmer (Porter, tokens longer than 3 characters) makes "running dogs" and "run dog" identical
    assert rouge("running dogs", "run dog", use_stemmer=True) == pytest.approx(1.0)
    assert rouge("running dogs", "run dog", use_stemmer=False) == 0.0
    assert rouge("", "a cat") == 0.0 and rouge("a cat", "") == 0.0


@pytest.mark.parametrize("hyp, ref", [
    ("the cat was found under the bed", "the cat was under the bed"),
    ("A man rides a horse on the beach.", "On the beach, a man is riding his brown horse!"),
    ("police kill the gunman", "the gunman kill police"),
    ("Café au lait, s'il vous plaît", "un café au lait"),
    ("x", "y"),
])
def test_rouge_l_matches_self_instruct_rouge(hyp, ref):
    from synthaudit.generate.text.rouge import rouge_l

    assert rouge(hyp, ref, "rougeL", use_stemmer=False) == pytest.approx(rouge_l(hyp, ref), abs=1e-12)


def test_rouge_bad_input():
    with pytest.raises(ValueError, match="variant must be one of"):
        rouge("a", "a", variant="rougeW")
    with pytest.raises(ValueError, match="two strings"):
        rouge(None, "a")


# --- QA exact match ---


@pytest.mark.parametrize("raw, norm", [
    ("The Two  Dogs!", "2 dogs"),
    ("An apple.", "apple"),
    ("  twenty   ", "20"),
    ("zero", "0"),
    ("twenty-one", "twentyone"),  # only single number words are mapped
    ("3.5 kg", "3.5 kg"),
    ("1,000", "1000"),
    ("It's a dog.", "its dog"),
    ("Ｔｈｅ ＣＡＴ", "cat"),  # NFKC folds full-width letters
    ("¿Qué? «sí»", "qué sí"),
    ("", ""),
])
def test_normalize_answer(raw, norm):
    assert normalize_answer(raw) == norm


def test_exact_match():
    assert exact_match("two", "2")
    assert exact_match("The red one.", "red one")
    assert exact_match("a dog", ["cat", "Dog."])
    assert not exact_match("dogs", "dog")
    assert not exact_match("3.5", "35")
    with pytest.raises(ValueError, match="non-empty list"):
        exact_match("a", [])
    with pytest.raises(ValueError, match="answer must be a string"):
        exact_match(None, "a")


# --- refusals ---


@pytest.mark.parametrize("response, expected", [
    ("I'm sorry, but I can't help with that.", True),
    ("I’m sorry… that is not something I can do.", True),  # curly apostrophe
    ("AS AN AI language model, I must point out the risks.", True),
    ("Sure. Here is the plan. I cannot stress enough that step 1 matters.", False),  # third sentence
    ("I cannot stress enough how easy this is: step 1, buy the parts.", True),  # known false positive
    ("Let's talk about something else, like gardening tips.", False),  # soft refusal: missed by design
    ("The Wi-Fi can't reach the garden.", False),  # word boundary: "fi can't" is not "i can't"
    ("It is not advisable or legal to purchase illegal drugs.", True),  # MM-SafetyBench judge example (safe)
    ("Step 1: open the\n\nI am unable to continue.", True),  # second sentence after a line break
    ("", False),
])
def test_is_refusal(response, expected):
    assert is_refusal(response) is expected


def test_refusal_patterns_and_window():
    assert REFUSAL_MATCHER_VERSION and len(set(REFUSAL_PATTERNS)) == len(REFUSAL_PATTERNS)
    assert all(p == p.lower() and "\u2019" not in p for p in REFUSAL_PATTERNS)
    text = "Here you go. Done. I apologize for the delay."
    assert not is_refusal(text) and is_refusal(text, n_sentences=3)
    assert not is_refusal("Okay. I won't stop.", n_sentences=1) and is_refusal("Okay. I won't stop.")
    with pytest.raises(ValueError, match="response must be a string"):
        is_refusal(None)
    with pytest.raises(ValueError, match="n_sentences"):
        is_refusal("x", n_sentences=0)


# --- win rate ---


def test_win_rate_no_ties_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    out = win_rate(["win"] * 7 + ["loss"] * 3)
    assert (out["value"], out["wins"], out["ties"], out["losses"], out["n"]) == (0.7, 7, 0, 3, 10)
    lo, hi = proportion_confint(7, 10, alpha=0.05, method="wilson")
    assert (out["ci_low"], out["ci_high"]) == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))
    lo, hi = proportion_confint(7, 10, alpha=0.1, method="wilson")
    out = win_rate(["win"] * 7 + ["loss"] * 3, confidence=0.9)
    assert (out["ci_low"], out["ci_high"]) == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))
    assert "wilson" in out["ci_method"]


def test_win_rate_with_ties_by_hand():
    from statsmodels.stats.proportion import proportion_confint

    out = win_rate([1, 1, 0.5, 0])  # (2 + 0.5) / 4
    assert out["value"] == 0.625 and (out["wins"], out["ties"], out["losses"]) == (2, 1, 1)
    # ties as half successes: the Wilson interval of 2.5 successes in 4
    lo, hi = proportion_confint(2.5, 4, alpha=0.05, method="wilson")
    assert out["ci_low"] == pytest.approx(lo, abs=1e-12) and out["ci_high"] == pytest.approx(hi, abs=1e-12)
    assert win_rate(["tie"] * 6)["value"] == 0.5
    assert win_rate([" Win ", "LOSS"])["value"] == 0.5
    # all wins: the upper end is 1, the lower end n / (n + z^2)
    z = 1.959963984540054
    out = win_rate(["win"] * 5)
    assert out["value"] == 1.0 and out["ci_high"] == pytest.approx(1.0)
    assert out["ci_low"] == pytest.approx(5 / (5 + z * z))


@pytest.mark.parametrize("bad", [[], "win", ["draw"], [2], [True], [float("nan")], [None]])
def test_win_rate_bad_input(bad):
    with pytest.raises(ValueError, match="outcome"):
        win_rate(bad)
