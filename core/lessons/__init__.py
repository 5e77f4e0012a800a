"""Lessons: the two courses as tracks of steps (data files), and checks computed from events."""
