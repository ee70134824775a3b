"""Audio layer: sound in and out of the assistant.

- ``stt``: speech to text behind one small interface; :func:`stt.load_stt` once, then ``transcribe(audio)``.
  Engines: ``ct2_engine`` (CTranslate2, default, no torch) and ``openai_engine`` (openai-whisper), over
  ``decoding`` (the short audio context, shared) and ``features`` (Whisper's log-mel in numpy).
- ``whisper_ct2``: CTranslate2 Whisper weights -> an openai-whisper checkpoint (the openai-whisper engine).
- ``wav``: audio files -> float32 mono 16 kHz samples (:func:`wav.read_audio`), and resampling.
- ``mic``: microphones and audio files as sources of 32 ms blocks; ``vad``: Silero VAD and endpointing.
- ``speculative``: transcribing at the first pause, before the end of a question is decided.
- ``loop``: the voice loop (``listen``); ``recorder``: one WAV per answer.
- ``tts``: text -> speech samples through espeak-ng (:func:`tts.synthesize`, :class:`tts.Voice`).
- ``speech``: speakers that play, write or print what is said (:func:`speech.open_speaker`).
- ``earcons``: short generated tones for listening, thinking, done and error (:func:`earcons.earcon`).

Importing this package (or ``stt`` and ``wav``) imports neither torch, whisper nor ctranslate2; loading
a model does.
"""
