"""Domain rules that several services apply the same way (identifiers of devices and parties)."""
