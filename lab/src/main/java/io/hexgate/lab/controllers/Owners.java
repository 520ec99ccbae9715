package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.List;
import java.util.Optional;

/** Controller owner references: who made an object, and how to say that this controller made one. */
public final class Owners {
  private Owners() {}

  /** The owner reference with {@code controller: true}, if any. */
  public static Optional<OwnerReference> controllerOf(HasMetadata o) {
    List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
    if (refs == null) {
      return Optional.empty();
    }
    return refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).findFirst();
  }

  public static boolean controlledBy(HasMetadata o, HasMetadata owner) {
    return controllerOf(o).map(r -> r.getUid().equals(owner.getMetadata().getUid())).orElse(false);
  }

  /** The key of {@code o}'s controller when it is of {@code kind}. */
  public static Optional<String> controllerKey(HasMetadata o, String kind) {
    return controllerOf(o).filter(r -> kind.equals(r.getKind())).map(r -> Keys.of(o.getMetadata().getNamespace(), r.getName()));
  }

  /** A reference marking {@code owner} as the controller, blocking its deletion until dependents are gone. */
  public static OwnerReference controllerReference(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  static boolean deleting(HasMetadata o) {
    return o.getMetadata().getDeletionTimestamp() != null;
  }
}
