package io.hexgate.operator.identity;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** An immutable, sorted set of security labels; equal sets mean the same identity. */
public final class Labels implements Iterable<Label> {
  private final List<Label> sorted;
  private final Map<String, Map<String, String>> bySource;
  private final Map<String, String> byKey;
  private final int hash;

  private Labels(Collection<Label> labels) {
    // What a TreeSet gives, with less work: sorted, and of labels that compare equal the first kept
    // (the sort is stable).
    Label[] a = labels.toArray(new Label[0]);
    Arrays.sort(a);
    int n = 0;
    for (Label l : a) {
      if (n == 0 || a[n - 1].compareTo(l) != 0) {
        a[n++] = l;
      }
    }
    this.sorted = List.of(Arrays.copyOf(a, n));
    this.bySource = new HashMap<>(4);
    this.byKey = new HashMap<>(n * 2);
    int size = n;
    for (Label l : sorted) {
      bySource.computeIfAbsent(l.source(), s -> new HashMap<>(size * 2)).put(l.key(), l.value());
      byKey.putIfAbsent(l.key(), l.value());
    }
    this.hash = sorted.hashCode();
  }

  public static Labels of(Collection<Label> labels) {
    return new Labels(labels);
  }

  public static Labels of(Label... labels) {
    return new Labels(List.of(labels));
  }

  /** The value of a label, or null when absent; source {@code any} matches every source. */
  public String value(String source, String key) {
    if (Label.SOURCE_ANY.equals(source)) {
      return byKey.get(key);
    }
    Map<String, String> keys = bySource.get(source);
    return keys == null ? null : keys.get(key);
  }

  public boolean has(String source, String key) {
    return value(source, key) != null;
  }

  public List<Label> asList() {
    return Collections.unmodifiableList(sorted);
  }

  public int size() {
    return sorted.size();
  }

  @Override
  public Iterator<Label> iterator() {
    return sorted.iterator();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Labels other && hash == other.hash && sorted.equals(other.sorted);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return sorted.toString();
  }
}
