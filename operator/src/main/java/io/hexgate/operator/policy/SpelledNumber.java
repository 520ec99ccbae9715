package io.hexgate.operator.policy;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Recognises a number written out in English words ({@code eighty}, {@code eighty-eight}, {@code
 * twentyone}, {@code one-hundred}), so that a port meant as a number is not taken for a port name.
 */
final class SpelledNumber {
  private SpelledNumber() {}

  private static final Map<String, Integer> WORDS =
      Map.ofEntries(
          Map.entry("zero", 0),
          Map.entry("one", 1),
          Map.entry("two", 2),
          Map.entry("three", 3),
          Map.entry("four", 4),
          Map.entry("five", 5),
          Map.entry("six", 6),
          Map.entry("seven", 7),
          Map.entry("eight", 8),
          Map.entry("nine", 9),
          Map.entry("ten", 10),
          Map.entry("eleven", 11),
          Map.entry("twelve", 12),
          Map.entry("thirteen", 13),
          Map.entry("fourteen", 14),
          Map.entry("fifteen", 15),
          Map.entry("sixteen", 16),
          Map.entry("seventeen", 17),
          Map.entry("eighteen", 18),
          Map.entry("nineteen", 19),
          Map.entry("twenty", 20),
          Map.entry("thirty", 30),
          Map.entry("forty", 40),
          Map.entry("fifty", 50),
          Map.entry("sixty", 60),
          Map.entry("seventy", 70),
          Map.entry("eighty", 80),
          Map.entry("ninety", 90),
          Map.entry("hundred", 100),
          Map.entry("thousand", 1000));

  /** Longest first, so that "eighteen" is not read as "eight" and a stray "een". */
  private static final List<String> BY_LENGTH =
      WORDS.keySet().stream().sorted((a, b) -> b.length() - a.length()).toList();

  /**
   * The value of {@code text} when it consists only of number words, optionally joined by hyphens
   * (case-insensitive); empty otherwise.
   */
  static OptionalInt parse(String text) {
    String s = text.toLowerCase(Locale.ROOT);
    if (s.isEmpty() || s.startsWith("-") || s.endsWith("-") || s.contains("--")) {
      return OptionalInt.empty();
    }
    int total = 0;
    int current = 0;
    int i = 0;
    while (i < s.length()) {
      if (s.charAt(i) == '-') {
        i++;
        continue;
      }
      String word = null;
      for (String w : BY_LENGTH) {
        if (s.startsWith(w, i)) {
          word = w;
          break;
        }
      }
      if (word == null) {
        return OptionalInt.empty();
      }
      int v = WORDS.get(word);
      if (v == 100) {
        current = (current == 0 ? 1 : current) * 100;
      } else if (v == 1000) {
        total += (current == 0 ? 1 : current) * 1000;
        current = 0;
      } else {
        current += v;
      }
      i += word.length();
    }
    return OptionalInt.of(total + current);
  }
}
