package io.hexgate.lab.controllers;

import java.security.SecureRandom;

/**
 * Generated object names as Kubernetes makes them: suffixes from the alphabet of
 * {@code k8s.io/apimachinery/pkg/util/rand} (no vowels, no look-alike digits), so that no generated name
 * spells a word.
 */
public final class Names {
  static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private Names() {}

  /** {@code length} random characters of the alphabet. */
  public static String randomSuffix(int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return b.toString();
  }

  /** Kubernetes' SafeEncodeString: each character of {@code s} maps to a letter of the alphabet. */
  static String safeEncode(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      b.append(ALPHABET.charAt(s.charAt(i) % ALPHABET.length()));
    }
    return b.toString();
  }
}
