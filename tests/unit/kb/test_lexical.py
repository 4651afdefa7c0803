from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.kb.bm25 import BM25
from bot.kb.text import clean_query, fold, has_words, tokens


def test_folding_and_stemming_meet_across_spellings() -> None:
    assert fold("Résolution ÉLEVÉE") == "resolution elevee"
    assert tokens("descargas", "es") == tokens("descarga", "es")
    assert tokens("téléchargements", "fr") == tokens("telechargement", "fr")
    assert tokens("downloading images", "en") == tokens("downloaded image", "en")


def test_unknown_languages_are_tokenised_without_stemming() -> None:
    assert tokens("Bilder herunterladen", "de") == ["bilder", "herunterladen"]


def test_queries_without_words_are_recognised() -> None:
    assert not has_words("🔥👍 ?!")
    assert has_words("GEN-502")
    assert len(clean_query("word " * 5000)) == 1000


def test_bm25_ranks_the_document_with_rare_matching_terms_first() -> None:
    docs = [
        tokens(t, "en") for t in ("refund my invoice", "download the image", "image image image")
    ]
    index = BM25.build(docs)
    scores = index.scores(tokens("download image", "en"))
    assert int(np.argmax(scores)) == 1
    assert index.scores(tokens("zzz qqq", "en")).sum() == 0


def test_bm25_round_trips_through_files(tmp_path: Path) -> None:
    index = BM25.build([["a", "b"], ["b", "c"]])
    index.save(tmp_path)
    loaded = BM25.load(tmp_path)
    assert np.allclose(loaded.scores(["c"]), index.scores(["c"]))
