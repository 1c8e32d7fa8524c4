"""Administration: users, teams, skills, queue membership, dispositions and pause reasons."""
