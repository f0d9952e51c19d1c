"""WebRTC media: forward every published track as encoded packets, never decoding them."""
