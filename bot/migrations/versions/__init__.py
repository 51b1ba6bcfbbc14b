"""The state database's revisions, one file each (a package so that an installed wheel carries them)."""
