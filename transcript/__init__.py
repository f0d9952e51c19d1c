"""The hearing transcript (笔录): a pure model with deltas, snapshots, a canonical hash to sign,
and renderings (WebVTT, plain text, PDF). See ``transcript.model`` for the rules."""
