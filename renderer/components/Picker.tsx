import { ChevronDown } from 'lucide-react';
import type { ReactNode } from 'react';
import { Button as AriaButton, FieldError, Label, ListBox, ListBoxItem, Popover, Select, SelectValue, Text } from 'react-aria-components';

// A drop-down choice (react-aria Select: a real listbox, type-ahead, keyboard and screen-reader friendly), for
// choices that are data (which NAS, which pool) rather than a few fixed options (use ChoiceField for those).

export interface PickerOption {
  id: string;
  label: string;
  /** A second line in the list. */
  description?: string;
  disabled?: boolean;
}

export interface PickerProps {
  label: string;
  options: readonly PickerOption[];
  value: string | null;
  onChange(id: string): void;
  placeholder?: string;
  description?: ReactNode;
  error?: string | null;
  isDisabled?: boolean;
  className?: string;
}

export function Picker({ label, options, value, onChange, placeholder = 'Choose…', description, error, isDisabled, className }: PickerProps) {
  return (
    <Select
      className={['field', className].filter(Boolean).join(' ')}
      selectedKey={value}
      onSelectionChange={(key) => {
        if (key !== null) onChange(String(key));
      }}
      placeholder={placeholder}
      isInvalid={Boolean(error)}
      isDisabled={isDisabled ?? false}
      disabledKeys={options.filter((o) => o.disabled).map((o) => o.id)}
      validationBehavior="aria"
    >
      <Label className="field-label">{label}</Label>
      <AriaButton className="input picker-button">
        <SelectValue className="picker-value">{({ isPlaceholder, selectedText }) => (isPlaceholder ? placeholder : selectedText)}</SelectValue>
        <ChevronDown size={16} aria-hidden="true" />
      </AriaButton>
      {description ? (
        <Text slot="description" className="field-description">
          {description}
        </Text>
      ) : null}
      <FieldError className="field-error">{error}</FieldError>
      <Popover className="popover picker-popover">
        <ListBox className="listbox">
          {options.map((option) => (
            <ListBoxItem key={option.id} id={option.id} textValue={option.label} className="listbox-item">
              <span className="listbox-label">{option.label}</span>
              {option.description ? <span className="listbox-description">{option.description}</span> : null}
            </ListBoxItem>
          ))}
        </ListBox>
      </Popover>
    </Select>
  );
}
