"""The starter vocabulary Wayfinder brings to every city: learning topics and careers as data.

`starter` reads topics.yml and careers.yml (format in README.md beside them); `attach` links a
city's own topics to the starter topics by name, synonym, lemma or near spelling, so a learner's
words ("karate", "plumber", "artes marciales") find a city's listings whatever their wording.
"""

from knowledge.vocabulary.starter import Career, Concept, StarterVocabulary, load_starter

__all__ = ["Career", "Concept", "StarterVocabulary", "load_starter"]
