package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.function.BiConsumer;

/** An informer handler that sees every change as (old or null, new or null). */
final class Handlers {
  private Handlers() {}

  static <T> ResourceEventHandler<T> onChange(BiConsumer<T, T> change) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        change.accept(null, obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        change.accept(oldObj, newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        change.accept(obj, null);
      }
    };
  }
}
