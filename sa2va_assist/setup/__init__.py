"""Build steps that ``sa2va-assist setup`` runs once on a machine (downloads, conversions) and the
developer tools around them. Nothing the assistant runs at answer time imports this package: the
runtime reads only what these steps leave in the cache (``sa2va_assist.paths.cache_root()``)."""
