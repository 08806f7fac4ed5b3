// Typed runtime failures, so the kubelet can branch on `instanceof` instead of on messages:
// ImagePullError becomes ErrImagePull, ImageNotFoundError ErrImageNeverPull, and a
// ContainerNotFoundError during sync simply means the container is gone.

export class RuntimeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ContainerNotFoundError extends RuntimeError {
  constructor(readonly containerId: string) {
    super(`container "${containerId}" not found`);
  }
}

export class SandboxNotFoundError extends RuntimeError {
  constructor(readonly sandboxId: string) {
    super(`pod sandbox "${sandboxId}" not found`);
  }
}

export class ContainerNotRunningError extends RuntimeError {
  constructor(readonly containerId: string) {
    super(`container "${containerId}" is not running`);
  }
}

export class ImageNotFoundError extends RuntimeError {
  constructor(readonly image: string) {
    super(`image "${image}" not present`);
  }
}

export class ImagePullError extends RuntimeError {
  constructor(readonly image: string, reason: string, options?: ErrorOptions) {
    super(reason, options);
  }
}

export class ExecTimeoutError extends RuntimeError {
  constructor(readonly timeoutMs: number) {
    super(`command timed out after ${timeoutMs}ms`);
  }
}
