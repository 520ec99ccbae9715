package io.hexgate.observer.export;

import java.util.ArrayList;
import java.util.List;

/** Splits a run of top-level JSON objects ({@code {..},{..} {..}}) into one string each. */
final class JsonObjects {
  private JsonObjects() {}

  static List<String> split(String option, String text) {
    List<String> objects = new ArrayList<>();
    int depth = 0;
    int start = -1;
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++; // the escaped character cannot end the string
        } else if (c == '"') {
          inString = false;
        }
        continue;
      }
      if (c == '"' && depth > 0) {
        inString = true;
      } else if (c == '{') {
        if (depth++ == 0) {
          start = i;
        }
      } else if (c == '}') {
        if (depth == 0) {
          throw new IllegalArgumentException(option + ": unexpected '}' at character " + (i + 1));
        }
        if (--depth == 0) {
          objects.add(text.substring(start, i + 1));
        }
      } else if (depth == 0 && c != ',' && !Character.isWhitespace(c)) {
        throw new IllegalArgumentException(option + ": expected a JSON object at character " + (i + 1) + " of \"" + text + "\"");
      }
    }
    if (depth != 0 || inString) {
      throw new IllegalArgumentException(option + ": unterminated JSON object in \"" + text + "\"");
    }
    return objects;
  }
}
