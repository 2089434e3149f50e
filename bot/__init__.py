"""lenspin: a Slack app that gets LogMeIn Rescue Lens PIN codes for technicians."""
