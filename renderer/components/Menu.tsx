import { EllipsisVertical } from 'lucide-react';
import type { ReactNode } from 'react';
import { Menu, MenuItem, MenuTrigger, Popover, Separator } from 'react-aria-components';
import { Button } from './Button.tsx';

// A "more actions" menu (react-aria: arrow keys, type-ahead, Escape, focus returns to the button).

export interface MenuAction {
  id: string;
  label: string;
  icon?: ReactNode;
  /** Destructive actions are drawn in red and open a ConfirmDialog. */
  danger?: boolean;
  disabled?: boolean;
  onAction(): void;
  /** Draw a separator before this item. */
  separatorBefore?: boolean;
}

export function ActionMenu({ label, actions, trigger }: { label: string; actions: readonly MenuAction[]; trigger?: ReactNode }) {
  return (
    <MenuTrigger>
      {trigger ?? <Button variant="ghost" className="btn-icon" aria-label={label} icon={<EllipsisVertical size={18} aria-hidden="true" />} />}
      <Popover className="popover" placement="bottom end">
        <Menu
          className="menu"
          aria-label={label}
          disabledKeys={actions.filter((a) => a.disabled).map((a) => a.id)}
          onAction={(key) => actions.find((a) => a.id === key)?.onAction()}
        >
          {actions.flatMap((action) => [
            ...(action.separatorBefore ? [<Separator key={`${action.id}-sep`} className="menu-separator" />] : []),
            <MenuItem key={action.id} id={action.id} textValue={action.label} className={action.danger ? 'menu-item menu-item-danger' : 'menu-item'}>
              {action.icon}
              <span>{action.label}</span>
            </MenuItem>,
          ])}
        </Menu>
      </Popover>
    </MenuTrigger>
  );
}
