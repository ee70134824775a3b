"""Evaluation: pure metrics (``metrics`` for masks and timing, ``text_metrics`` for OCR words, WER and
object mentions) and the suites that run a backend over the development data and score it.

Metric definitions follow the field's (DAVIS J/F, RefCOCO cIoU/gIoU, word error rate) so numbers
compare with published ones; see ``shared/data/README.md``.
"""
