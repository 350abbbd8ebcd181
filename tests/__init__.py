"""Tests of ccat; they talk to the bundled GitHub emulator over loopback HTTP."""
