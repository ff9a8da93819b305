/**
 * What the registry's team rules (SPEC §7) let the signed-in user do, so the
 * panel can disable a refused action with a tooltip instead of failing on click.
 *
 * The server decides; this mirrors its rules for display only, from the
 * caller's identity (`GET identity`) and the model's maintainers.
 */
import type { DescribeIdentity, DescribeModel } from './types';

/** `null` when allowed, else why not (shown as the disabled button's tooltip). */
export type Refusal = string | null;

function names(users: string[]): string {
  return users.length ? users.join(', ') : 'none';
}

/** Read-only users may not write at all. */
export function writeRefusal(identity: DescribeIdentity | null, action: string): Refusal {
  if (identity?.role === 'readonly') {
    return `${identity.user ?? 'You'} may only read this registry, not ${action}.`;
  }
  return null;
}

/** Archiving, deleting, managing maintainers: the model's maintainers and admins. */
export function maintainerRefusal(
  identity: DescribeIdentity | null,
  model: DescribeModel,
  action: string
): Refusal {
  const readonly = writeRefusal(identity, action);
  if (readonly || identity === null || identity.role === 'admin') {
    return readonly;
  }
  const maintainers = model.maintainers ?? [];
  if (identity.user !== null && maintainers.includes(identity.user)) {
    return null;
  }
  return `Only the maintainers of ${model.name} (${names(maintainers)}) and admins may ${action}.`;
}

/** A protected alias (e.g. `production`) is the maintainers' and admins'; others the members'. */
export function aliasRefusal(
  identity: DescribeIdentity | null,
  model: DescribeModel,
  alias: string,
  action: string
): Refusal {
  if (identity?.protected_aliases.includes(alias)) {
    return maintainerRefusal(identity, model, `${action} the protected alias ${alias}`);
  }
  return writeRefusal(identity, `${action} alias ${alias}`);
}
