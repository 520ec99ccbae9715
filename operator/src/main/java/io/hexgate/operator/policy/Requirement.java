package io.hexgate.operator.policy;

import io.hexgate.operator.identity.IdentityTable;
import io.hexgate.operator.identity.Label;
import io.hexgate.operator.identity.Labels;
import java.util.BitSet;
import java.util.SortedSet;

/** One label requirement of a selector; {@code source} {@code any} matches labels of every source. */
public record Requirement(String source, String key, Operator operator, SortedSet<String> values)
    implements Comparable<Requirement> {

  public enum Operator {
    IN,
    NOT_IN,
    EXISTS,
    DOES_NOT_EXIST
  }

  public Requirement {
    values = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(values));
  }

  public static Requirement equal(String source, String key, String value) {
    return new Requirement(source, key, Operator.IN, new java.util.TreeSet<>(java.util.Set.of(value)));
  }

  public static Requirement exists(String source, String key) {
    return new Requirement(source, key, Operator.EXISTS, new java.util.TreeSet<>());
  }

  /** Builds from a selector key that may carry a {@code source:} prefix. */
  public static Requirement of(String selectorKey, Operator op, java.util.Collection<String> values) {
    Label l = Label.parse(selectorKey);
    return new Requirement(l.source(), l.key(), op, new java.util.TreeSet<>(values));
  }

  public boolean matches(Labels labels) {
    String v = labels.value(source, key);
    return switch (operator) {
      case IN -> v != null && values.contains(v);
      case NOT_IN -> v == null || !values.contains(v);
      case EXISTS -> v != null;
      case DOES_NOT_EXIST -> v == null;
    };
  }

  /** Narrows {@code acc} to the slots that satisfy this requirement. */
  void narrow(BitSet acc, IdentityTable table) {
    switch (operator) {
      case IN -> acc.and(union(table));
      case NOT_IN -> acc.andNot(union(table));
      case EXISTS -> acc.and(table.withKey(source, key));
      case DOES_NOT_EXIST -> acc.andNot(table.withKey(source, key));
    }
  }

  private BitSet union(IdentityTable table) {
    BitSet u = new BitSet();
    for (String v : values) {
      u.or(table.withValue(source, key, v));
    }
    return u;
  }

  @Override
  public int compareTo(Requirement o) {
    return toString().compareTo(o.toString());
  }

  @Override
  public String toString() {
    String k = source + ":" + key;
    return switch (operator) {
      case IN -> values.size() == 1 ? k + "=" + values.first() : k + " in " + values;
      case NOT_IN -> k + " notin " + values;
      case EXISTS -> k;
      case DOES_NOT_EXIST -> "!" + k;
    };
  }
}
