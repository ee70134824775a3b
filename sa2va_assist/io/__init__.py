"""Frame sources (images, videos, frame folders) and result writers (JSON, masks, overlays)."""
