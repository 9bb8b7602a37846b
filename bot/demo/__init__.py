"""`lspbot demo`: a scripted year of a board, shown as the console transport shows it."""
