"""Crash-safe recording of the encoded media of a hearing (no decoding, no re-encoding).

``Recorder`` writes each published track into rotating Matroska segments from its own thread
behind a bounded queue; ``recover`` remuxes segments a crash left open; ``Timeline`` maps RTP
time onto milliseconds since the recording started. See docs/recording.md.
"""
