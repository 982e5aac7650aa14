"""IFEval instruction following (survey section 2.2; Zhou et al. 2023).

Every checker is compared with lm-eval's IFEval reference (``INSTRUCTION_DICT`` ... ``check_following``) on
the real IFEval prompts and their kwargs, with responses built here to satisfy and to violate each
instruction (plus edge cases where only agreement is asserted). The two checkers that need NLTK's punkt
data (sentence counts, capital-word counts) are tested on hand-worked fixtures, and the capital-word
tokeniser against nltk's own word tokeniser. Then ``text.ifeval_prompt_strict_acc`` end to end.
"""
from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.errors import InputError
from synthaudit.metrics.text.ifeval import checkers as c
from synthaudit.metrics.text.ifeval.registry import INSTRUCTIONS, follows, loose_variants, normalize

IFEVAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "text" / "ifeval" / "input_data.jsonl"
MID = "text.ifeval_prompt_strict_acc"
PUNKT = {"length_constraints:number_sentences": "lm-eval counts sentences with NLTK punkt (punkt_tab data, "
                                                "not shipped offline); hand-worked fixtures instead",
         "change_case:capital_word_frequency": "lm-eval tokenises with nltk.word_tokenize, which needs punkt_tab; "
                                               "hand-worked fixtures and nltk's word tokeniser instead"}
# Languages whose sample sentence below langdetect recognises (the sentences satisfy response_language)
LANG_SAMPLES = {
    "ar": "هذه جملة اختبار قصيرة ونحن نكتبها باللغة العربية لكي نرى النتيجة",
    "bg": "Това е кратко тестово изречение, написано на български език, за да видим резултата",
    "bn": "এটি একটি ছোট পরীক্ষার বাক্য যা আমরা বাংলা ভাষায় লিখেছি",
    "de": "Dies ist ein kurzer Testsatz, den wir in deutscher Sprache geschrieben haben",
    "fa": "این یک جمله آزمایشی کوتاه است که ما به زبان فارسی نوشته ایم تا نتیجه را ببینیم",
    "fi": "Tämä on lyhyt testilause, jonka kirjoitimme suomen kielellä nähdäksemme tuloksen",
    "gu": "આ એક ટૂંકું પરીક્ષણ વાક્ય છે જે અમે ગુજરાતી ભાષામાં લખ્યું છે",
    "hi": "यह एक छोटा परीक्षण वाक्य है जिसे हमने हिंदी भाषा में लिखा है ताकि परिणाम देख सकें",
    "it": "Questa è una breve frase di prova che abbiamo scritto in lingua italiana per vedere il risultato",
    "kn": "ಇದು ನಾವು ಕನ್ನಡ ಭಾಷೆಯಲ್ಲಿ ಬರೆದ ಒಂದು ಚಿಕ್ಕ ಪರೀಕ್ಷಾ ವಾಕ್ಯವಾಗಿದೆ",
    "ko": "이것은 결과를 보기 위해 한국어로 작성한 짧은 테스트 문장입니다",
    "pa": "ਇਹ ਇੱਕ ਛੋਟਾ ਟੈਸਟ ਵਾਕ ਹੈ ਜੋ ਅਸੀਂ ਪੰਜਾਬੀ ਭਾਸ਼ਾ ਵਿੱਚ ਲਿਖਿਆ ਹੈ",
    "pt": "Esta é uma pequena frase de teste que escrevemos em língua portuguesa para ver o resultado",
    "ru": "Это короткое тестовое предложение, которое мы написали на русском языке, чтобы увидеть результат",
    "sw": "Hii ni sentensi fupi ya majaribio ambayo tumeiandika kwa lugha ya Kiswahili ili kuona matokeo",
    "ta": "இது நாங்கள் தமிழ் மொழியில் எழுதிய ஒரு சிறிய சோதனை வாக்கியம் ஆகும்",
    "te": "ఇది మేము తెలుగు భాషలో వ్రాసిన ఒక చిన్న పరీక్ష వాక్యం",
    "th": "นี่คือประโยคทดสอบสั้นๆ ที่เราเขียนเป็นภาษาไทยเพื่อดูผลลัพธ์",
    "ur": "یہ ایک مختصر آزمائشی جملہ ہے جو ہم نے اردو زبان میں لکھا ہے تاکہ نتیجہ دیکھ سکیں",
    "vi": "Đây là một câu thử nghiệm ngắn mà chúng tôi đã viết bằng tiếng Việt để xem kết quả",
}
ENGLISH = "This is a short English sentence about the weather and the garden today"


# -- fixtures ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prompts() -> list[dict]:
    if not IFEVAL.exists():
        pytest.skip("the IFEval prompts are not in ../shared/data/text/ifeval")
    return [json.loads(line) for line in IFEVAL.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def lm():
    """lm-eval's IFEval instruction registry (its import tries nltk.download and prints a line: harmless)."""
    pytest.importorskip("lm_eval")
    from langdetect import DetectorFactory

    from lm_eval.tasks.ifeval import instructions_registry

    DetectorFactory.seed = 0
    return instructions_registry.INSTRUCTION_DICT


def reference(lm, iid: str, kwargs: dict):
    """lm-eval's strict check of one instruction, built as its harness does (falsy kwargs dropped)."""
    inst = lm[iid](iid)
    inst.build_description(**{k: v for k, v in kwargs.items() if v})
    return lambda response: bool(response.strip() and inst.check_following(response))


def instances(prompts: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for p in prompts:
        for iid, kw in zip(p["instruction_id_list"], p["kwargs"]):
            out.setdefault(iid, []).append(kw)
    return out


# -- responses that satisfy (True), violate (False) or probe an edge (None) -------------------------------

def _n(relation: str, threshold: int) -> tuple[int, int]:
    """(a count that satisfies, a count that violates) the relation."""
    return (threshold - 1, threshold) if relation == "less than" else (threshold, threshold - 1)


def cases(iid: str, kw: dict) -> list[tuple[str, bool | None]]:
    g = iid.split(":")[1]
    if g == "existence":
        ks = kw["keywords"]
        return [(f"We talk about {', '.join(ks)} today.", True), (" ".join(k.upper() for k in ks), True),
                ("Nothing 123 " + " ".join(ks[:-1]), False), ("", False)]
    if g == "frequency":
        ok, bad = _n(kw["relation"], kw["frequency"])
        w = kw["keyword"]
        return [(" and ".join([w.upper()] * ok) or "123", True), (" and ".join([w] * bad) or "123", False),
                (f"{w}s {w}{w} x", None)]
    if g == "forbidden_words":
        ws = kw["forbidden_words"]
        return [("Nothing 123 to see here at all.", True), (f"I like {ws[-1].upper()}!", False),
                (" ".join(f"x{w}y" for w in ws), True)]
    if g == "letter_frequency":
        ok, bad = _n(kw["let_relation"], kw["let_frequency"])
        letter = kw["letter"]
        return [(" ".join([letter.upper()] * ok) or "123", True), (" ".join([letter] * bad) or "123", False)]
    if g == "response_language":
        lang = kw["language"]
        sample = LANG_SAMPLES.get(lang)
        return ([(sample, True)] if sample else []) + [(ENGLISH, False), ("12345 67", True),
                                                       (f"{ENGLISH}. {LANG_SAMPLES['ru']}", None)]
    if g == "number_paragraphs":
        n = kw["num_paragraphs"]
        paras = [f"Paragraph {i} text." for i in range(n + 1)]
        return [("\n***\n".join(paras[:n]), True), ("* * *\n" + " *** ".join(paras[:n]) + "\n***", None),
                ("\n***\n".join(paras[:n + 1]), False), ("\n***\n".join(paras[:n - 1]) or "x", False),
                ("\n***\n\n***\n".join(paras[:n]), n == 1 and None), ("***\n" + "\n***\n".join(paras[:n]), True)]
    if g == "number_words":
        ok, bad = _n(kw["relation"], kw["num_words"])
        return [(" ".join(["word"] * ok) or "!", ok > 0 or None), (" ".join(["don't"] * (bad // 2)) + " x" * (bad % 2)
                                                                   or "!", False)]
    if g == "nth_paragraph_first_word":
        n, nth, word = kw["num_paragraphs"], kw["nth_paragraph"], kw["first_word"]
        paras = [f"Some text {i} here." for i in range(n + 1)]
        good = list(paras[:n])
        good[nth - 1] = f'"{word.capitalize()}, then more {nth}.'
        wrong = list(good)
        wrong[nth - 1] = "Otherword then more."
        return [("\n\n".join(good), True), ("\n\n".join(wrong), False), ("\n\n".join(good + ["extra"]), False),
                ("\n\n".join(good).replace("\n\n", "\n\n\n\n", 1), None), (" \n\n".join(good), True)]
    if g == "number_placeholders":
        n = kw["num_placeholders"]
        return [(" ".join(f"[ph{i}]" for i in range(n)) + " end", True),
                (" ".join(f"[ph{i}]" for i in range(n - 1)) + " end", False), ("[a [b] c] [", None)]
    if g == "postscript":
        body = "Main body of the letter.\n\n"
        if kw["postscript_marker"] == "P.S.":
            return [(body + "P.S. see you", True), (body + "p. s. later", True), (body + "PS later", False),
                    (body + "P.P.S. later", None)]
        return [(body + "P.P.S see you", True), (body + "p. p. s later", True), (body + "P.S. later", False)]
    if g == "number_bullet_lists":
        n = kw["num_bullets"]
        items = [("* item" if i % 2 else "- item") + f" {i}" for i in range(n + 1)]
        return [("Intro\n" + "\n".join(items[:n]), True), ("\n".join(items[:n + 1]), False),
                ("\n".join(items[:n - 1]) + "\n**bold** line", False), ("*\nfoo\n  - x\n\n- y", None)]
    if g == "constrained_response":
        return [("My answer is yes.", True), ("Well... My answer is maybe. Sure", True), ("My answer is Yes", False),
                ("Yes.", False)]
    if g == "number_highlighted_sections":
        n = kw["num_highlights"]
        return [(" ".join(f"*part {i}*" for i in range(n)), True), (" ".join(f"**bold {i}**" for i in range(n)), True),
                (" ".join(f"*part {i}*" for i in range(n - 1)) + " * * **", False), ("*a\nb* ** x *", None)]
    if g == "multiple_sections":
        n, s = kw["num_sections"], kw["section_spliter"]
        body = "\n".join(f"{s} {i}\ncontent {i}" for i in range(1, n + 1))
        return [(body, True), ("\n".join(f"{s} {i}\ncontent" for i in range(1, n)), False),
                (body.replace(f"{s} ", s), True), (body.lower(), None)]
    if g == "json_format":
        obj = json.dumps({"a": [1, 2], "b": "ü"}, ensure_ascii=False)
        return [(obj, True), (f"```json\n{obj}\n```", True), (f"```\n{obj}\n```", True), (f"Here: {obj}", False),
                ("{'a': 1}", False), ("NaN", None)]
    if g == "title":
        return [("<<A Poem of Joy>>\nbody", True), ("<<>> and << >>", None), ("<< >>", False),
                ("<<Broken\ntitle>>", False), ("No title here", False), ("<<a>> x <<b>>", True)]
    if g == "two_responses":
        return [("First answer.\n******\nSecond answer.", True), ("Same.\n******\nSame.", False), ("Only one.", False),
                ("A\n******\n******\nB", False), ("******\nA\n******\nB\n******", True)]
    if g == "repeat_prompt":
        p = kw["prompt_to_repeat"]
        return [(p + "\nHere is my answer.", True), ("  " + p.upper() + " answer", True), ("Sure! " + p, False)]
    if g == "end_checker":
        e = kw["end_phrase"]
        return [(f"Body text. {e}", True), (f'"Body text. {e.lower()}"\n', True), (f"{e} And more.", False)]
    if g == "quotation":
        return [('"Quoted answer."', True), (' \n"Quoted"\n', True), ("Not quoted", False), ('"', False),
                ("'single'", False)]
    if g == "english_capital":
        return [(ENGLISH.upper(), True), (ENGLISH, False),
                ("DIES IST EIN KURZER DEUTSCHER SATZ ÜBER DAS WETTER", False), ("123 !!", False)]
    if g == "english_lowercase":
        return [(ENGLISH.lower(), True), (ENGLISH, False), (LANG_SAMPLES["de"].lower(), False), ("123 !!", False)]
    if g == "no_comma":
        return [("No commas at all.", True), ("One, two", False), ("全角，逗号", True)]
    raise AssertionError(f"no cases for {iid}")


def test_registry_covers_every_ifeval_instruction(lm):
    assert set(INSTRUCTIONS) == set(lm) and len(INSTRUCTIONS) == 25


@pytest.mark.parametrize("iid", sorted(set(INSTRUCTIONS) - set(PUNKT)))
def test_checker_agrees_with_lm_eval_on_ifeval_prompts(iid, lm, prompts):
    # IFEval draws a random letter for the letters '!' and '#' (docs/ifeval.md): tested by hand below
    kwargs_list = [kw for kw in instances(prompts)[iid] if kw.get("letter", "a").isalpha()]
    disagreements, unmet, checked = [], [], 0
    for kw in kwargs_list:
        ref = reference(lm, iid, kw)
        ours = normalize(iid, kw)
        for response, expected in cases(iid, kw):
            got = follows(iid, ours, response)
            checked += 1
            if got != ref(response):
                disagreements.append((kw, response[:80], got))
            if expected is not None and got != expected:
                unmet.append((kw, response[:80], expected))
    assert checked >= 2 * len(kwargs_list)
    assert not disagreements, f"{len(disagreements)} disagreement(s) with lm-eval, e.g. {disagreements[:3]}"
    assert not unmet, f"constructed cases not met: {unmet[:3]}"


def test_loose_mode_agrees_with_lm_eval_per_prompt(lm, prompts):
    from lm_eval.tasks.ifeval.utils import InputExample, test_instruction_following_loose

    rng = random.Random(0)
    compared = 0
    for p in prompts:
        ids, kws = p["instruction_id_list"], p["kwargs"]
        if set(ids) & set(PUNKT) or any(k.get("letter") in ("!", "#") for k in kws):
            continue
        inp = InputExample(key=p["key"], instruction_id_list=ids, prompt=p["prompt"], kwargs=kws)
        iid, kw = rng.choice(list(zip(ids, kws)))
        body = rng.choice([r for r, _ in cases(iid, kw)] or ["x"])
        for response in (f"Sure, here it is:\n{body}\n*Hope this helps*", f"**{body}**", body):
            expected = test_instruction_following_loose(inp, response).follow_instruction_list
            got = [follows(i, normalize(i, k), response, "loose") for i, k in zip(ids, kws)]
            assert got == expected, (p["key"], response[:80])
            compared += 1
    assert compared > 1000


def test_loose_variants_are_ifevals_eight():
    v = loose_variants("*Intro*\nbody *x*\nend")
    assert v == ["*Intro*\nbody *x*\nend", "Intro\nbody x\nend", "body *x*\nend", "*Intro*\nbody *x*",
                 "body *x*", "body x\nend", "Intro\nbody x", "body x"]
    assert loose_variants("one line") == ["one line", ""]


# -- the punkt-dependent checkers: hand-worked fixtures ---------------------------------------------------

@pytest.mark.parametrize("text, n", [
    ("One. Two! Three?", 3),
    ("Dr. Smith arrived. He sat down.", 2),  # abbreviation
    ("Pi is 3.14 exactly. Yes", 2),  # decimal point
    ("Title\n\nBody one. Body two.", 3),  # a blank line ends a sentence (punkt would say 2)
    ("all lower case. still one", 1),  # no capital after the stop
    ("", 0),
])
def test_number_sentences_hand_worked(text, n):
    for threshold in (n, n + 1):
        assert c.length_number_sentences(text, num_sentences=threshold, relation="less than") == (n < threshold)
        assert c.length_number_sentences(text, num_sentences=threshold, relation="at least") == (n >= threshold)


@pytest.mark.parametrize("text, words", [
    ("THE QUICK brown FOX.", ["THE", "QUICK", "FOX"]),
    ("DON'T STOP", ["DO", "N'T", "STOP"]),
    ("I am HAPPY, OK?", ["I", "HAPPY", "OK"]),
    ("(NASA) and U.S.A. are WELL-KNOWN", ["NASA", "U.S.A.", "WELL-KNOWN"]),
    ("JOHN's dog CANNOT swim", ["JOHN", "CAN", "NOT"]),
    ("A1 123 x,Y;Z", ["A1", "Y", "Z"]),
    ("ÉCOLE and ΑΘΗΝΑ", ["ÉCOLE", "ΑΘΗΝΑ"]),
])
def test_capital_words_hand_worked(text, words):
    assert c.capital_words(text) == words
    n = len(words)
    assert c.case_capital_word_frequency(text, capital_frequency=n, capital_relation="at least")
    assert not c.case_capital_word_frequency(text, capital_frequency=n, capital_relation="less than")
    assert c.case_capital_word_frequency(text, capital_frequency=n + 1, capital_relation="less than")


def test_capital_words_match_nltk_word_tokenizer(prompts):
    """IFEval counts ``isupper`` tokens of nltk.word_tokenize; its word tokeniser needs no data, so compare
    with it over our sentences (punkt itself is the documented difference)."""
    tokenize = pytest.importorskip("nltk.tokenize").NLTKWordTokenizer().tokenize
    from synthaudit.data.segment import split_sentences

    texts = [p["prompt"] for p in prompts]
    texts += [t.upper() for t in texts[::3]] + [t.title() for t in texts[1::3]]
    texts += ["WE'LL GO, DON'T WAIT -- GONNA BE “GREAT” (REALLY)!", "IT'S 'TIS THE U.S. ... OK: 1,000 A/B",
              "LET'S SEE: CAN'T WON'T SHAN'T ...NOW", "MORE'N GIMME LEMME WANNA GOTTA"]
    for text in texts:
        ref = [t for s in split_sentences(text) for t in tokenize(s) if t.isupper()]
        assert len(c.capital_words(text)) == len(ref), (text[:80], c.capital_words(text), ref)


def test_non_letter_letter_frequency_counts_the_character():
    # IFEval replaces a non-letter 'letter' (two prompts ask for '#' and '!') by a random letter
    assert c.keywords_letter_frequency("# a # b # c # d", letter="#", let_frequency=4, let_relation="at least")
    assert not c.keywords_letter_frequency("Wow! Yes!", letter="!", let_frequency=6, let_relation="at least")


def test_kwargs_validation():
    assert normalize("keywords:frequency", {"keyword": "x", "frequency": 2.0, "relation": "at least",
                                            "num_words": None}) == {"keyword": "x", "frequency": 2,
                                                                    "relation": "at least"}
    for iid, kw, needle in [
        ("keywords:nonsense", {}, "unknown instruction id"),
        ("keywords:frequency", {"keyword": "x", "frequency": 2}, "needs kwarg(s) 'relation'"),
        ("keywords:frequency", {"keyword": "x", "frequency": -1, "relation": "at least"}, "non-negative integer"),
        ("keywords:frequency", {"keyword": "x", "frequency": 1, "relation": "at most"}, "'less than', 'at least'"),
        ("punctuation:no_comma", {"num_words": 3}, "takes no kwarg 'num_words'"),
        ("keywords:existence", {"keywords": []}, "non-empty list"),
        ("keywords:letter_frequency", {"letter": "ab", "let_frequency": 1, "let_relation": "at least"},
         "single character"),
        ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 3,
                                                         "first_word": "a"}, "nth_paragraph"),
    ]:
        with pytest.raises(ValueError) as info:
            normalize(iid, kw)
        assert needle in str(info.value), (iid, str(info.value))


def test_missing_and_blank_responses_follow_nothing():
    assert not follows("punctuation:no_comma", {}, None)
    assert not follows("punctuation:no_comma", {}, "  \n", "loose")
    assert follows("punctuation:no_comma", {}, "fine")


# -- the metric end to end --------------------------------------------------------------------------------

RULES = [
    {"key": 1, "prompt": "Write a poem. Do not use any commas.", "instruction_id_list": ["punctuation:no_comma"],
     "kwargs": [{}]},
    {"key": 2, "prompt": "Describe Tokyo in at least 5 words, with a title like <<title>>.",
     "instruction_id_list": ["length_constraints:number_words", "detectable_format:title"],
     "kwargs": [{"num_words": 5, "relation": "at least"}, {}]},
    {"key": 3, "prompt": "Wrap your whole answer in double quotes.", "instruction_id_list": ["startend:quotation"],
     "kwargs": [{}]},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def records() -> pd.DataFrame:
    return pd.DataFrame({
        "prompt": [RULES[0]["prompt"], RULES[1]["prompt"], RULES[1]["prompt"], RULES[2]["prompt"],
                   "A prompt without rules", RULES[0]["prompt"] + "  "],
        "response": ["Roses are red violets are blue",  # follows 1/1
                     "<<Tokyo>> Tokyo is big and busy, really.",  # follows 2/2
                     "Tokyo is big, busy and bright.",  # 1/2 (no title)
                     'Here you go:\n"A quoted answer."',  # 0/1 strict, 1/1 loose (first line dropped)
                     "Anything, at all",  # no rules: undefined
                     "One, two"],  # 0/1
    })


def test_metric_value_is_hand_computed_prompt_accuracy(tmp_path):
    rules = write_jsonl(tmp_path / "rules.jsonl", RULES)
    rep = synthaudit.audit("text", synthetic=records(), field="response", prompt_field="prompt", rules=rules,
                           metrics=[MID])
    r = rep.result(MID)
    assert r.status == "ok", r.error
    # 5 prompts with rules; all followed: records 1 and 2 -> 2/5 strict; loose also passes record 4 -> 3/5
    assert r.value == pytest.approx(2 / 5)
    # instructions: 7 in all; followed strictly 1 + 2 + 1 + 0 + 0 = 4; loosely 5
    assert r.secondary == pytest.approx({"prompt_strict": 2 / 5, "prompt_loose": 3 / 5,
                                         "instruction_strict": 4 / 7, "instruction_loose": 5 / 7})
    rows = {b["instruction_id"]: b for b in r.breakdown}
    assert rows["punctuation:no_comma"] == {"instruction_id": "punctuation:no_comma", "n": 2,
                                            "strict_accuracy": 0.5, "loose_accuracy": 0.5}
    assert rows["startend:quotation"]["strict_accuracy"] == 0 and rows["startend:quotation"]["loose_accuracy"] == 1
    assert r.notes["n_undefined"] == 1 and "1 record(s) whose prompt has no rules" in r.notes["undefined"]
    assert "split_sentences" in r.notes["sentence_splitter"] and "langdetect" in r.notes["language_detector"]
    assert r.n_record_scores == 6


def test_levels_and_modes(tmp_path):
    rules = write_jsonl(tmp_path / "rules.jsonl", RULES)

    def value(**params):
        rep = synthaudit.audit("text", synthetic=records(), field="response", prompt_field="prompt", rules=rules,
                               metrics=[MID], params={MID: params})
        return rep.result(MID)

    assert value(mode="loose").value == pytest.approx(3 / 5)
    # instruction level pools instructions (4/7), not the mean of per-prompt shares ((1 + 1 + .5 + 0 + 0)/5)
    assert value(level="instruction").value == pytest.approx(4 / 7)
    assert value(level="instruction", mode="loose").value == pytest.approx(5 / 7)
    bad = value(level="sentence")
    assert bad.status == "failed" and "level must be one of prompt, instruction" in bad.error


def test_rules_from_record_fields_and_missing_response():
    frame = pd.DataFrame({
        "prompt": ["p1", "p2", "p3", "p4"],
        "text": ["no commas here", None, '"quoted"', "fine"],
        "instruction_id_list": [["punctuation:no_comma"], ["punctuation:no_comma", "startend:quotation"],
                                ["startend:quotation"], None],
        "kwargs": [[{}], [{}, {"end_phrase": None}], [{"num_words": None}], None],
    })
    rep = synthaudit.audit("text", synthetic=frame, prompt_field="prompt", metrics=[MID])
    r = rep.result(MID)
    assert r.status == "ok", r.error
    assert r.value == pytest.approx(2 / 3)  # p2's missing response fails; p4 has no rules
    assert "1 record(s) without a response" in r.notes["missing_responses"]
    assert r.secondary["instruction_strict"] == pytest.approx(2 / 4)
    assert r.notes["rules"] == "record fields instruction_id_list and kwargs"


def test_unknown_instruction_id_is_an_input_error(tmp_path):
    rows = [dict(RULES[0]), {**RULES[1], "instruction_id_list": ["length_constraints:number_words", "format:tittle"]}]
    path = write_jsonl(tmp_path / "rules.jsonl", rows)
    with pytest.raises(InputError) as info:
        synthaudit.audit("text", synthetic=records(), field="response", prompt_field="prompt", rules=path,
                         metrics=[MID])
    msg = str(info.value)
    assert "line 2 (key 2)" in msg and "unknown instruction id 'format:tittle'" in msg and "rules.jsonl" in msg
    assert info.value.field == "instruction_id_list"
    # in record fields, the record is named and only this metric fails
    frame = pd.DataFrame({"prompt": ["a", "b"], "text": ["x", "y"],
                          "instruction_id_list": [["punctuation:no_comma"], ["nope:nothing"]], "kwargs": [[{}], [{}]]})
    r = synthaudit.audit("text", synthetic=frame, prompt_field="prompt", metrics=[MID]).result(MID)
    assert r.status == "failed" and "record 2: unknown instruction id 'nope:nothing'" in r.error


def test_rules_file_errors(tmp_path):
    no_prompt = write_jsonl(tmp_path / "a.jsonl", [{"key": 7, "instruction_id_list": [], "kwargs": []}])
    with pytest.raises(InputError, match=r"line 1 \(key 7\) has no 'prompt'.*--prompt-field"):
        synthaudit.audit("text", synthetic=records(), field="response", prompt_field="prompt", rules=no_prompt)
    bad_kwargs = write_jsonl(tmp_path / "b.jsonl", [{**RULES[1], "kwargs": [{"num_words": "many", "relation":
                                                                             "at least"}, {}]}])
    with pytest.raises(InputError, match="'num_words' must be a non-negative integer"):
        synthaudit.audit("text", synthetic=records(), field="response", prompt_field="prompt", rules=bad_kwargs)
    ok = write_jsonl(tmp_path / "c.jsonl", RULES)
    rep = synthaudit.audit("text", synthetic=records(), field="response", rules=ok, metrics=[MID])
    gap = next(g for g in rep.gaps if g.id == MID)
    assert gap.kind == "missing_input" and "--prompt-field" in gap.enable


def test_unicode_prompts_and_responses(tmp_path):
    rules = [{"key": 1, "prompt": "東京について日本語で書いてください。",
              "instruction_id_list": ["language:response_language", "punctuation:no_comma"],
              "kwargs": [{"language": "ja"}, {}]},
             {"key": 2, "prompt": "Напишите по-русски 🙂", "instruction_id_list": ["language:response_language"],
              "kwargs": [{"language": "ru"}]}]
    frame = pd.DataFrame({"prompt": [rules[0]["prompt"], rules[1]["prompt"], rules[1]["prompt"]],
                          "text": ["東京は日本の首都であり、とても大きな都市です。", LANG_SAMPLES["ru"], ENGLISH]})
    path = write_jsonl(tmp_path / "rules.jsonl", rules)
    r = synthaudit.audit("text", synthetic=frame, prompt_field="prompt", rules=path, metrics=[MID]).result(MID)
    assert r.value == pytest.approx(2 / 3)  # the ideographic comma is not an ASCII comma; English is not Russian


def test_streamed_batches_equal_one_piece_and_name_records(tmp_path):
    rules = write_jsonl(tmp_path / "rules.jsonl", RULES)
    data = tmp_path / "gen.jsonl"
    records().to_json(data, orient="records", lines=True, force_ascii=False)
    whole = synthaudit.audit("text", synthetic=data, field="response", prompt_field="prompt", rules=rules,
                             metrics=[MID]).result(MID)
    streamed = synthaudit.audit("text", synthetic=data, field="response", prompt_field="prompt", rules=rules,
                                metrics=[MID], stream=True, batch_size=2).result(MID)
    assert streamed.value == whole.value and streamed.secondary == whole.secondary
    assert streamed.breakdown == whole.breakdown
    rows = [{"p": str(i), "text": "x", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
            for i in range(5)]
    rows[3]["kwargs"] = [{"bogus": 1}]
    path = write_jsonl(tmp_path / "fields.jsonl", rows)
    r = synthaudit.audit("text", synthetic=path, prompt_field="p", metrics=[MID], stream=True,
                         batch_size=2).result(MID)
    assert r.status == "failed" and "record 4: punctuation:no_comma takes no kwarg 'bogus'" in r.error


def test_cli_with_rules_file(tmp_path):
    rules = write_jsonl(tmp_path / "rules.jsonl", RULES)
    data = tmp_path / "gen.jsonl"
    records().to_json(data, orient="records", lines=True, force_ascii=False)
    proc = subprocess.run([sys.executable, "-m", "synthaudit", "audit", "text", "--synthetic", str(data), "--field",
                           "response", "--prompt-field", "prompt", "--rules", str(rules), "--metrics", MID,
                           "--out", str(tmp_path / "out"), "--quiet"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    entry = next(m for m in report["metrics"] if m["id"] == MID)
    assert math.isclose(entry["value"], 2 / 5)
    assert np.isclose(entry["secondary"]["instruction_loose"], 5 / 7)
