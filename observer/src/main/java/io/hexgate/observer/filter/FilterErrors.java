package io.hexgate.observer.filter;

import java.util.ArrayList;
import java.util.List;

/** Every problem found while compiling filters, so that one answer names them all. */
final class FilterErrors {
  private final List<String> problems = new ArrayList<>();

  /** {@code where} names the filter (e.g. {@code whitelist[1]}); empty for a lone filter. */
  void add(String where, String field, String problem) {
    problems.add((where.isEmpty() ? "" : where + ".") + field + ": " + problem);
  }

  void throwIfAny() {
    if (!problems.isEmpty()) {
      throw new InvalidFilterException(String.join("; ", problems));
    }
  }
}
