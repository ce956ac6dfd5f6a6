"""Benchmarks/datasets/make_large.py (make dataset-large): which texts become the dataset.
Pure functions only: the embedding itself is engram-socket-bench prepare's."""
import argparse
import importlib.util
import os

import pytest

_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "Benchmarks", "datasets", "make_large.py")
_spec = importlib.util.spec_from_file_location("make_large", _PATH)
assert _spec is not None and _spec.loader is not None
make_large = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_large)


def test_texts_are_read_from_json_lines_or_plain_lines(tmp_path):
    source = tmp_path / "texts.txt"
    source.write_text('{"text": "A  JSON line\\twith   spaces"}\n'
                      "a plain line of text\n"
                      '{"not_text": 1}\n'
                      "{not json at all\n", encoding="utf-8")
    assert list(make_large.read_texts(str(source))) == [
        "A JSON line with spaces", "a plain line of text", '{"not_text": 1}', "{not json at all"]


def test_selection_drops_short_long_repeated_and_excluded_texts(tmp_path):
    source = tmp_path / "texts.jsonl"
    lines = ["one two three four", "ONE two  three four", "too short", "x " * 30,
             "a text of the development set", "kept text number two"]
    source.write_text("".join(f'{{"text": "{line}"}}\n' for line in lines), encoding="utf-8")
    excluded = {make_large.key("A text of the development SET")}
    kept, counts = make_large.select(str(source), excluded, min_words=4, max_chars=40)
    assert kept == ["one two three four", "kept text number two"]
    assert counts == {"read": 6, "short": 1, "long": 1, "duplicate_or_excluded": 2}


def test_sizes_take_counts_and_all():
    assert make_large.parse_sizes("200000,all") == [200000, None]
    for bad in ("0", "-5", "lots", "10,,20"):
        with pytest.raises(argparse.ArgumentTypeError):
            make_large.parse_sizes(bad)


def test_an_unchanged_corpus_file_is_not_rewritten(tmp_path):
    path = str(tmp_path / "corpus.jsonl")
    make_large.write_jsonl(["first text", "second text"], path)
    os.utime(path, (1, 1))
    make_large.write_jsonl(["first text", "second text"], path)
    assert os.stat(path).st_mtime == 1  # prepare's cache goes by size and modification time
    make_large.write_jsonl(["first text", "changed"], path)
    assert os.stat(path).st_mtime != 1
    with open(path, encoding="utf-8") as written:
        assert written.read() == '{"text": "first text"}\n{"text": "changed"}\n'
