/**
 * Who is who: account names (what the sidecar records as owner and author)
 * and the display names people are shown by. The server extension says who
 * the panel acts as (`kamld/whoami`); other accounts are shown by their
 * account name. No JupyterLab imports.
 */
export interface IPerson {
  /** The account name the sidecar records. */
  account: string;
  displayName: string;
}

export class People {
  /** Remembers how to show `person`. */
  add(person: IPerson): void {
    if (person.account) {
      this._names.set(person.account, person.displayName || person.account);
    }
  }

  /** The display name of an account (the account itself when unknown). */
  displayName(account: string): string {
    return this._names.get(account) ?? account;
  }

  private readonly _names = new Map<string, string>();
}

/** The page's one directory, filled once the server extension has answered. */
export const people = new People();

/** Parses the answer of `kamld/whoami`. */
export function parsePerson(body: unknown): IPerson | undefined {
  if (typeof body !== 'object' || body === null) {
    return undefined;
  }
  const { account, displayName } = body as Record<string, unknown>;
  return typeof account === 'string' && account
    ? {
        account,
        displayName: typeof displayName === 'string' ? displayName : account
      }
    : undefined;
}
