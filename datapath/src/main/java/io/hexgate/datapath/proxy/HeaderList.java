package io.hexgate.datapath.proxy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A message's header fields in the order they arrived, names as sent, looked up without regard to case. A
 * head has a handful of fields, so a scan costs less than hashing every name; {@link #modified()} tells the
 * proxy that the head must be written anew instead of forwarding the bytes that arrived.
 */
final class HeaderList {
  /** The fields the proxy reads of most messages, whether or not they are there. */
  private static final String[] KNOWN = {"host", "expect", "upgrade", "connection", "content-length",
      "transfer-encoding"};

  private String[] names;
  private String[] values;
  private int size;
  private boolean modified;
  /** Bit i: a field named {@code KNOWN[i]} is there, so looking for an absent one costs no scan. */
  private int known;
  /** Where the first field named {@code KNOWN[i]} is, when bit i of {@link #known} is set. */
  private final int[] knownAt = new int[KNOWN.length];

  HeaderList() {
    this(8);
  }

  HeaderList(int capacity) {
    names = new String[capacity];
    values = new String[capacity];
  }

  /** The fields as given, pairs of name and value. */
  static HeaderList of(String... nameValues) {
    HeaderList h = new HeaderList(Math.max(1, nameValues.length / 2));
    for (int i = 0; i < nameValues.length; i += 2) {
      h.append(nameValues[i], nameValues[i + 1]);
    }
    return h;
  }

  int size() {
    return size;
  }

  String name(int i) {
    return names[i];
  }

  String value(int i) {
    return values[i];
  }

  boolean modified() {
    return modified;
  }

  /** Adds a field as parsed: the head stays as it arrived. */
  void append(String name, String value) {
    if (size == names.length) {
      names = Arrays.copyOf(names, size * 2);
      values = Arrays.copyOf(values, size * 2);
    }
    names[size] = name;
    values[size] = value;
    noteKnown(name, size);
    size++;
  }

  private void noteKnown(String name, int at) {
    int i = knownIndex(name);
    if (i >= 0 && (known & 1 << i) == 0) {
      known |= 1 << i;
      knownAt[i] = at;
    }
  }

  private static int knownIndex(String name) {
    int i = switch (name.length()) {
      case 4 -> 0;
      case 6 -> 1;
      case 7 -> 2;
      case 10 -> 3;
      case 14 -> 4;
      case 17 -> 5;
      default -> -1;
    };
    // the proxy's own lookups pass these very literals, which need no compare
    return i >= 0 && (KNOWN[i] == name || KNOWN[i].equalsIgnoreCase(name)) ? i : -1;
  }

  /** Whether no field of {@code name} can be there: it is a known name and none was added. */
  private boolean absent(String name) {
    int i = knownIndex(name);
    return i >= 0 && (known & 1 << i) == 0;
  }

  /** The first value of {@code name}, or null. */
  String get(String name) {
    int k = knownIndex(name);
    if (k >= 0) {
      return (known & 1 << k) == 0 ? null : values[knownAt[k]];
    }
    for (int i = 0; i < size; i++) {
      if (names[i].equalsIgnoreCase(name)) {
        return values[i];
      }
    }
    return null;
  }

  List<String> getAll(String name) {
    List<String> all = new ArrayList<>(1);
    if (absent(name)) {
      return all;
    }
    for (int i = 0; i < size; i++) {
      if (names[i].equalsIgnoreCase(name)) {
        all.add(values[i]);
      }
    }
    return all;
  }

  int count(String name) {
    if (absent(name)) {
      return 0;
    }
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (names[i].equalsIgnoreCase(name)) {
        n++;
      }
    }
    return n;
  }

  boolean contains(String name) {
    return get(name) != null;
  }

  /** Whether a field of {@code name} has exactly {@code value}. */
  boolean contains(String name, String value) {
    for (int i = 0; i < size; i++) {
      if (names[i].equalsIgnoreCase(name) && values[i].equals(value)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a comma-separated field of {@code name} lists {@code token}, in any case. */
  boolean containsToken(String name, String token) {
    if (absent(name)) {
      return false;
    }
    for (int i = 0; i < size; i++) {
      if (names[i].equalsIgnoreCase(name)) {
        for (String t : values[i].split(",")) {
          if (t.trim().equalsIgnoreCase(token)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The head must be written anew although its fields are as they arrived (its lines ended otherwise). */
  void rewrite() {
    modified = true;
  }

  void add(String name, String value) {
    append(name, value);
    modified = true;
  }

  void remove(String name) {
    int kept = 0;
    known = 0;
    for (int i = 0; i < size; i++) {
      if (!names[i].equalsIgnoreCase(name)) {
        names[kept] = names[i];
        values[kept] = values[i];
        noteKnown(names[i], kept);
        kept++;
      }
    }
    if (kept != size) {
      Arrays.fill(names, kept, size, null);
      Arrays.fill(values, kept, size, null);
      size = kept;
      modified = true;
    }
  }

  void set(String name, String value) {
    remove(name);
    add(name, value);
  }
}
