"""The C helpers load once and say why when they cannot (then their callers take the Python path)."""

from __future__ import annotations

from core.classification.native import ngram_counts
from core.classification.native.loader import NativeLibrary


def test_a_helper_that_is_not_built_says_so(tmp_path):
    declared = []
    helper = NativeLibrary(tmp_path / "_missing.so", declared.append)
    assert helper.load() is None
    assert helper.error == "_missing.so is not built (run scripts/bootstrap.sh)"
    assert declared == []


def test_a_file_that_is_no_library_is_refused_with_the_loader_error(tmp_path):
    broken = tmp_path / "_broken.so"
    broken.write_bytes(b"not an ELF file")
    helper = NativeLibrary(broken, lambda library: None)
    assert helper.load() is None
    assert helper.error and "_broken.so" in helper.error


def test_the_built_counter_loads_once_with_its_prototypes():
    assert ngram_counts.available(), ngram_counts.unavailable_reason()
    assert ngram_counts.unavailable_reason() is None
    assert ngram_counts._HELPER.load() is ngram_counts._HELPER.load()
