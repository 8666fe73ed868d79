/**
 * The sharing dialog of the dataset view: the dataset's visibility and its
 * grants to users and groups, editable by the dataset's admins and shown
 * read-only to others (docs/security.md, "Access control").
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  AccessClient,
  GrantKind,
  IAccess,
  IGrant,
  Role,
  ROLES,
  Visibility,
  VISIBILITIES,
  withGrant
} from './accessApi';

function visibilityLabel(v: Visibility, trans: TranslationBundle): string {
  switch (v) {
    case 'private':
      return trans.__('Private: the owner and the people below');
    case 'internal':
      return trans.__('Internal: every signed-in user can read');
    case 'public':
      return trans.__('Public: anyone can read');
  }
}

function roleLabel(r: Role, trans: TranslationBundle): string {
  switch (r) {
    case 'reader':
      return trans.__('reader');
    case 'writer':
      return trans.__('writer');
    case 'admin':
      return trans.__('admin');
  }
}

/** The form in the dialog: it keeps the edited policy until the dialog closes. */
class ShareForm extends ReactWidget {
  constructor(
    private readonly _access: IAccess,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('kamld-ShareForm');
    this._visibility = _access.visibility;
    this._grants = _access.grants;
  }

  getValue(): Pick<IAccess, 'visibility' | 'grants' | 'etag'> {
    return {
      visibility: this._visibility,
      grants: this._grants,
      etag: this._access.etag
    };
  }

  protected render(): React.ReactElement {
    const trans = this._trans;
    const editable = this._access.yourRole === 'admin';
    return (
      <div className="kamld-Form">
        <p className="kamld-Form-hint">
          {trans.__('Owner: %1', this._access.owner || trans.__('(none)'))}
          {!editable &&
            ' · ' +
              trans.__(
                'You are a %1 of this dataset; only its admins change who can use it.',
                this._access.yourRole
              )}
        </p>
        <label className="kamld-Form-field">
          <span className="kamld-Form-label">{trans.__('Visibility')}</span>
          <select
            className="jp-mod-styled"
            value={this._visibility}
            disabled={!editable}
            onChange={event =>
              this._set(() => {
                this._visibility = event.target.value as Visibility;
              })
            }
          >
            {VISIBILITIES.map(v => (
              <option key={v} value={v}>
                {visibilityLabel(v, trans)}
              </option>
            ))}
          </select>
        </label>
        <table className="kamld-ShareForm-grants">
          <tbody>
            {this._grants.map(g => (
              <tr
                key={`${g.kind}:${g.name}`}
                data-kamld-grant={`${g.kind}:${g.name}`}
              >
                <td>
                  {g.kind === 'user' ? trans.__('user') : trans.__('group')}
                </td>
                <td>{g.name}</td>
                <td>
                  <select
                    className="jp-mod-styled"
                    value={g.role}
                    disabled={!editable}
                    aria-label={trans.__('Role of %1', g.name)}
                    onChange={event =>
                      this._setGrant(g, event.target.value as Role)
                    }
                  >
                    {ROLES.map(r => (
                      <option key={r} value={r}>
                        {roleLabel(r, trans)}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {editable && (
                    <Button
                      small
                      minimal
                      onClick={() => this._setGrant(g, null)}
                    >
                      {trans.__('Remove')}
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {this._grants.length === 0 && (
          <p className="kamld-Form-hint">
            {trans.__('Not shared with anyone.')}
          </p>
        )}
        {editable && this._renderAdd()}
      </div>
    );
  }

  private _renderAdd(): React.ReactElement {
    const trans = this._trans;
    return (
      <div className="kamld-Form-buttons kamld-ShareForm-add">
        <select
          className="jp-mod-styled"
          value={this._newKind}
          aria-label={trans.__('User or group')}
          onChange={event =>
            this._set(() => {
              this._newKind = event.target.value as GrantKind;
            })
          }
        >
          <option value="user">{trans.__('user')}</option>
          <option value="group">{trans.__('group')}</option>
        </select>
        <input
          className="jp-mod-styled"
          value={this._newName}
          placeholder={trans.__('name')}
          aria-label={trans.__('Name of the user or group')}
          onChange={event =>
            this._set(() => {
              this._newName = event.target.value;
            })
          }
        />
        <select
          className="jp-mod-styled"
          value={this._newRole}
          aria-label={trans.__('Role')}
          onChange={event =>
            this._set(() => {
              this._newRole = event.target.value as Role;
            })
          }
        >
          {ROLES.map(r => (
            <option key={r} value={r}>
              {roleLabel(r, trans)}
            </option>
          ))}
        </select>
        <Button
          small
          disabled={this._newName.trim() === ''}
          onClick={() =>
            this._set(() => {
              this._grants = withGrant(
                this._grants,
                this._newKind,
                this._newName.trim(),
                this._newRole
              );
              this._newName = '';
            })
          }
        >
          {trans.__('Add')}
        </Button>
      </div>
    );
  }

  private _setGrant(g: IGrant, role: Role | null): void {
    this._set(() => {
      this._grants = withGrant(this._grants, g.kind, g.name, role);
    });
  }

  private _set(change: () => void): void {
    change();
    this.update();
  }

  private _visibility: Visibility;
  private _grants: IGrant[];
  private _newKind: GrantKind = 'user';
  private _newName = '';
  private _newRole: Role = 'reader';
}

/** Shows who can use a dataset; its admins change it, saved with the policy's etag. */
export async function shareDialog(
  client: AccessClient,
  datasetId: string,
  trans: TranslationBundle
): Promise<void> {
  const current = await client.getAccess(datasetId);
  if (!current.ok) {
    Notification.error(
      trans.__(
        'Could not read who can use %1: %2',
        datasetId,
        current.failure.message
      )
    );
    return;
  }
  const editable = current.value.yourRole === 'admin';
  const result = await showDialog({
    title: trans.__('Share %1', datasetId),
    body: new ShareForm(current.value, trans),
    buttons: editable
      ? [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: trans.__('Save') })
        ]
      : [Dialog.okButton({ label: trans.__('Close') })]
  });
  if (!editable || !result.button.accept || !result.value) {
    return;
  }
  const saved = await client.setAccess(datasetId, result.value);
  if (saved.ok) {
    Notification.success(trans.__('Sharing of %1 saved.', datasetId), {
      autoClose: 3000
    });
  } else {
    Notification.error(
      trans.__('Sharing of %1 not saved: %2', datasetId, saved.failure.message)
    );
  }
}
