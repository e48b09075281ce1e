"""Policies people accept (the privacy policy): versions published from content/, and who accepted which."""
