"""Trading language: the lexicon, keyword hits, spoken-number normalization, rule extraction and lesson features."""
