package io.hexgate.operator.identity;

/**
 * Orders strings made of parts joined by a separator exactly as {@link String#compareTo} orders the
 * joined strings, without building them: sorted collections of labels, endpoint keys and policy
 * references compare often, and building their {@code toString} forms made garbage at every step.
 */
public final class JoinedStrings {
  private JoinedStrings() {}

  /** {@code (a1 + sep + a2).compareTo(b1 + sep + b2)}. */
  public static int compare(char sep, String a1, String a2, String b1, String b2) {
    return compare(sep, a1, a2, null, b1, b2, null);
  }

  /**
   * {@code join(a).compareTo(join(b))}, where {@code join} puts {@code sep} between its parts and a
   * null third part is absent.
   */
  public static int compare(char sep, String a1, String a2, String a3, String b1, String b2, String b3) {
    if (a1.equals(b1)) {
      // Same first part and separator: the rest decides, and String's own compareTo is fast.
      if (a3 == null && b3 == null) {
        return a2.compareTo(b2);
      }
      if (a3 != null && b3 != null) {
        return compare(sep, a2, a3, null, b2, b3, null);
      }
    } else {
      int l1a = a1.length();
      int l1b = b1.length();
      int n = Math.min(l1a, l1b);
      for (int i = 0; i < n; i++) {
        char ca = a1.charAt(i);
        char cb = b1.charAt(i);
        if (ca != cb) {
          return ca - cb;
        }
      }
      // One first part is a prefix of the other: the general walk below decides.
    }
    int la = a1.length() + 1 + a2.length() + (a3 == null ? 0 : 1 + a3.length());
    int lb = b1.length() + 1 + b2.length() + (b3 == null ? 0 : 1 + b3.length());
    int n = Math.min(la, lb);
    for (int i = 0; i < n; i++) {
      char ca = charAt(sep, a1, a2, a3, i);
      char cb = charAt(sep, b1, b2, b3, i);
      if (ca != cb) {
        return ca - cb;
      }
    }
    return la - lb;
  }

  private static char charAt(char sep, String p1, String p2, String p3, int i) {
    int l1 = p1.length();
    if (i < l1) {
      return p1.charAt(i);
    }
    if (i == l1) {
      return sep;
    }
    i -= l1 + 1;
    int l2 = p2.length();
    if (i < l2) {
      return p2.charAt(i);
    }
    return i == l2 ? sep : p3.charAt(i - l2 - 1);
  }
}
