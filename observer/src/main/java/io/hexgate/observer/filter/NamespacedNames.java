package io.hexgate.observer.filter;

import java.util.ArrayList;
import java.util.List;

/**
 * Pod and service filters: {@code ns/prefix} (names starting with prefix in ns), {@code ns/} (all of ns),
 * {@code /prefix} (prefix in any namespace) and a bare {@code prefix}, which means {@code default/prefix}
 * as Hubble reads it. Something with neither namespace nor name never matches.
 */
final class NamespacedNames {
  private final Entry[] entries;

  private record Entry(String namespace /* null = any */, String prefix) {}

  private NamespacedNames(Entry[] entries) {
    this.entries = entries;
  }

  static NamespacedNames compile(List<String> values, String where, String field, FilterErrors errors) {
    List<Entry> entries = new ArrayList<>();
    for (String value : values) {
      int slash = value.indexOf('/');
      if (slash < 0) {
        if (value.isEmpty()) {
          errors.add(where, field, "empty value; must be [namespace/][<name prefix>]");
        } else {
          entries.add(new Entry("default", value));
        }
        continue;
      }
      String namespace = value.substring(0, slash);
      int end = value.indexOf('/', slash + 1);
      String prefix = value.substring(slash + 1, end < 0 ? value.length() : end);
      if (namespace.isEmpty() && prefix.isEmpty()) {
        errors.add(where, field, "invalid value " + Quote.of(value) + "; must be [namespace/][<name prefix>]");
      } else {
        entries.add(new Entry(namespace.isEmpty() ? null : namespace, prefix));
      }
    }
    return new NamespacedNames(entries.toArray(Entry[]::new));
  }

  boolean matches(String namespace, String name) {
    if (namespace.isEmpty() && name.isEmpty()) {
      return false;
    }
    for (Entry e : entries) {
      if ((e.namespace == null || e.namespace.equals(namespace)) && name.startsWith(e.prefix)) {
        return true;
      }
    }
    return false;
  }
}
