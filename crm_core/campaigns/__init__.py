"""Outbound campaigns: lists of numbers worked by a team in preview or progressive mode."""
