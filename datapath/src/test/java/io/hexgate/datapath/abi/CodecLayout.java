package io.hexgate.datapath.abi;

import io.hexgate.datapath.bpf.Codec;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a mirror's codec puts each record component, found by encoding: a record of zeros, then the same
 * record with one component at its largest value; the bytes that differ are that component's. So the layout
 * checked is the one the codec really writes, not a second description of it. A component that is itself a
 * record (Config's lifetimes) is probed field by field, named {@code <component>.<field>}.
 */
final class CodecLayout {
  record JField(String name, int offset, int size) {}

  private CodecLayout() {}

  static <R extends Record> List<JField> of(Class<R> type, Codec<R> codec) {
    byte[] zero = codec.encode(zeroOf(type));
    List<JField> fields = new ArrayList<>();
    for (String path : paths(type, "")) {
      byte[] probe = codec.encode(withMax(type, path));
      int first = -1;
      int last = -1;
      for (int i = 0; i < zero.length; i++) {
        if (zero[i] != probe[i]) {
          first = first < 0 ? i : first;
          last = i;
        }
      }
      if (first < 0) {
        throw new IllegalStateException(type.getSimpleName() + "." + path + " is not written by its codec");
      }
      fields.add(new JField(path, first, last - first + 1));
    }
    return fields;
  }

  private static List<String> paths(Class<?> type, String prefix) {
    List<String> paths = new ArrayList<>();
    for (RecordComponent c : type.getRecordComponents()) {
      if (c.getType().isRecord()) {
        paths.addAll(paths(c.getType(), prefix + c.getName() + "."));
      } else {
        paths.add(prefix + c.getName());
      }
    }
    return paths;
  }

  @SuppressWarnings("unchecked")
  private static <R> R zeroOf(Class<R> type) {
    return (R) build(type, null);
  }

  @SuppressWarnings("unchecked")
  private static <R> R withMax(Class<R> type, String path) {
    return (R) build(type, path);
  }

  /** An instance of record {@code type} with every component 0 but {@code maxPath} (null: none). */
  private static Object build(Class<?> type, String maxPath) {
    RecordComponent[] components = type.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] args = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      Class<?> c = components[i].getType();
      String name = components[i].getName();
      types[i] = c;
      boolean max = name.equals(maxPath);
      if (c == int.class) {
        args[i] = max ? Integer.MAX_VALUE : 0;
      } else if (c == long.class) {
        args[i] = max ? Long.MAX_VALUE : 0L;
      } else if (c.isRecord()) {
        String inner = maxPath != null && maxPath.startsWith(name + ".") ? maxPath.substring(name.length() + 1) : null;
        args[i] = build(c, inner);
      } else {
        throw new IllegalArgumentException(type.getSimpleName() + "." + name + ": no probe for " + c);
      }
    }
    try {
      Constructor<?> canonical = type.getDeclaredConstructor(types);
      return canonical.newInstance(args);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("building " + type.getSimpleName(), e);
    }
  }
}
