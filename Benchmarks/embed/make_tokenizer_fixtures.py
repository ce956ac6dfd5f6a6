#!/usr/bin/env python3
"""Regenerates Tests/EmbeddingsTests/Fixtures/codepoints.txt and tokenizer-texts.jsonl.

They hold the reference Hugging Face `tokenizers` output for all-MiniLM-L6-v2 on
  * codepoints.txt: one probe text "a<c>b <c>" per selected code point c, as
    "<hex> <ids...>": every code point below U+0800, every mark, punctuation, control, format
    and separator character (where tokenisers disagree most), the CJK range edges, and every
    101st code point besides;
  * tokenizer-texts.jsonl: random texts mixing scripts, marks, special-token literals and
    long words, as {"text", "ids"} with truncation to 256.

Usage: HF_HUB_OFFLINE=1 python make_tokenizer_fixtures.py MODEL_DIR OUT_DIR
Needs only the `tokenizers` package (installed with sentence-transformers).
"""
import json
import random
import sys
import unicodedata

from tokenizers import Tokenizer

INTERESTING = {"Mn", "Mc", "Me", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Cc", "Cf", "Zs", "Zl", "Zp"}
CJK_EDGES = [0x4E00, 0x9FFF, 0x3400, 0x4DBF, 0x20000, 0x2A6DF, 0x2A700, 0x2B73F, 0x2B740,
             0x2B81F, 0x2B820, 0x2B91F, 0x2B920, 0x2CEAF, 0xF900, 0xFAFF, 0x2F800, 0x2FA1F]


def selected_code_points():
    chosen = set(range(0x800))
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        if c % 101 == 0 or unicodedata.category(chr(c)) in INTERESTING:
            chosen.add(c)
    for edge in CJK_EDGES:
        chosen.update(range(edge - 1, edge + 2))
    return sorted(c for c in chosen if not 0xD800 <= c <= 0xDFFF)


def random_texts(rng, count):
    pieces = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "[cls]", "[ SEP ]", "##", "##ing",
              "don't", "U.S.A.", "e\u0301", "\u0130", "\u03a3\u0391\u03a3", "\u1100\u1161\u11a8",
              "\ufb01", "\u00df", "\u212b", "\u2126", "\u1e9e", "x" * 101, "y" * 100, "\u00e9" * 60]
    pools = [(0x20, 0x7F), (0xA0, 0x250), (0x300, 0x370), (0x370, 0x530), (0x590, 0x700),
             (0x900, 0xE00), (0x1100, 0x1200), (0x2000, 0x2070), (0x3000, 0x3100),
             (0x4E00, 0x4E80), (0xAC00, 0xAD00), (0xFE00, 0xFF70), (0x1F300, 0x1FB00),
             (0x2B800, 0x2B960), (0xE0000, 0xE0080)]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 40)):
            r = rng.random()
            if r < 0.15:
                parts.append(rng.choice(pieces))
            elif r < 0.25:
                parts.append(rng.choice([" ", "\t", "\n", "\u00a0", "\u3000", "\u200b", ""]))
            else:
                lo, hi = rng.choice(pools)
                parts.append("".join(chr(rng.randrange(lo, hi)) for _ in range(rng.randint(1, 12))))
        texts.append("".join(c for c in "".join(parts) if not 0xD800 <= ord(c) <= 0xDFFF))
    return texts


def main():
    model_dir, out_dir = sys.argv[1], sys.argv[2]
    tokenizer = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tokenizer.no_padding()
    tokenizer.no_truncation()
    cps = selected_code_points()
    encodings = tokenizer.encode_batch(["a" + chr(c) + "b " + chr(c) for c in cps])
    with open(f"{out_dir}/codepoints.txt", "w") as out:
        for c, encoding in zip(cps, encodings):
            out.write("%x %s\n" % (c, " ".join(map(str, encoding.ids))))
    tokenizer.enable_truncation(max_length=256)
    texts = random_texts(random.Random(4), 400)
    with open(f"{out_dir}/tokenizer-texts.jsonl", "w") as out:
        for text, encoding in zip(texts, tokenizer.encode_batch(texts)):
            out.write(json.dumps({"text": text, "ids": encoding.ids}, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
