package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** Work-queue keys: {@code namespace/name}, as client-go's MetaNamespaceKeyFunc makes them. */
public final class Keys {
  private Keys() {}

  public static String of(HasMetadata o) {
    return of(o.getMetadata().getNamespace(), o.getMetadata().getName());
  }

  public static String of(String namespace, String name) {
    return namespace + "/" + name;
  }

  public static String namespace(String key) {
    return key.substring(0, key.indexOf('/'));
  }

  public static String name(String key) {
    return key.substring(key.indexOf('/') + 1);
  }
}
