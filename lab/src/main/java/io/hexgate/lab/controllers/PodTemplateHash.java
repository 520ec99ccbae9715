package io.hexgate.lab.controllers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.nio.charset.StandardCharsets;

/**
 * The {@code pod-template-hash} a Deployment gives its ReplicaSets: FNV-1a (32 bit) of the pod template
 * and the collision count, written in the safe alphabet, as the deployment controller does. The template
 * is hashed as JSON with sorted keys (Kubernetes hashes Go's dump of the struct), so equal templates give
 * equal hashes, whatever order their labels were written in.
 */
public final class PodTemplateHash {
  private static final ObjectMapper CANONICAL =
      JsonMapper.builder().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true).build();

  private PodTemplateHash() {}

  public static String of(PodTemplateSpec template, Integer collisionCount) {
    byte[] json;
    try {
      json = CANONICAL.writeValueAsBytes(template);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("pod template cannot be written as JSON: " + e.getMessage(), e);
    }
    int hash = 0x811c9dc5;
    for (byte b : json) {
      hash ^= b & 0xff;
      hash *= 0x01000193;
    }
    if (collisionCount != null) {
      for (byte b : Integer.toString(collisionCount).getBytes(StandardCharsets.US_ASCII)) {
        hash ^= b & 0xff;
        hash *= 0x01000193;
      }
    }
    return Names.safeEncode(Integer.toUnsignedString(hash));
  }
}
