import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useController, type Control, type FieldPath, type FieldValues } from 'react-hook-form';
import { FieldError, Input, Label, Radio, RadioGroup, Text, TextField } from 'react-aria-components';

// Form fields bound to react-hook-form and drawn with react-aria: the label, the description and the error are
// tied to the input (aria-describedby, aria-invalid), and the error sits under the field it is about, in the words
// of shared/validation-messages.ts. Use them inside a form whose resolver is contractResolver(schema).

interface BaseFieldProps<T extends FieldValues> {
  control: Control<T>;
  name: FieldPath<T>;
  label: string;
  description?: ReactNode;
  isDisabled?: boolean;
  className?: string;
}

export interface TextInputFieldProps<T extends FieldValues> extends BaseFieldProps<T> {
  type?: 'text' | 'password';
  placeholder?: string;
  autoComplete?: string;
  autoFocus?: boolean;
  /** The value is a number: the field keeps the typed text and hands the form a number (undefined when empty). */
  numeric?: boolean;
}

export function TextInputField<T extends FieldValues>({ control, name, label, description, isDisabled, className, type = 'text', placeholder, autoComplete, autoFocus, numeric }: TextInputFieldProps<T>) {
  const { field, fieldState } = useController({ control, name });
  const shown = field.value === undefined || field.value === null || (typeof field.value === 'number' && Number.isNaN(field.value)) ? '' : String(field.value);
  // A number field keeps what was typed ("22a" stays visible while the error says why it is wrong). It takes the
  // form's value again only when the form itself changed it (a reset); an emptied field hands the form undefined,
  // for which react-hook-form reports the default value, so that echo is ignored.
  const [raw, setRaw] = useState(shown);
  const lastSent = useRef<unknown>(field.value);
  useEffect(() => {
    if (!numeric || lastSent.current === undefined || Object.is(field.value, lastSent.current)) return;
    lastSent.current = field.value;
    setRaw(shown);
  }, [field.value, numeric, shown]);

  return (
    <TextField
      className={['field', className].filter(Boolean).join(' ')}
      name={field.name}
      value={numeric ? raw : shown}
      onChange={(value) => {
        if (numeric) {
          const parsed = value.trim() === '' ? undefined : Number(value.trim());
          setRaw(value);
          lastSent.current = parsed;
          field.onChange(parsed);
        } else field.onChange(value);
      }}
      onBlur={field.onBlur}
      isInvalid={fieldState.invalid}
      isDisabled={isDisabled ?? false}
      validationBehavior="aria"
      type={type}
      {...(autoComplete ? { autoComplete } : {})}
      {...(autoFocus ? { autoFocus } : {})}
    >
      <Label className="field-label">{label}</Label>
      <Input className="input" ref={field.ref} {...(placeholder ? { placeholder } : {})} {...(numeric ? { inputMode: 'numeric' as const } : {})} />
      {description ? (
        <Text slot="description" className="field-description">
          {description}
        </Text>
      ) : null}
      <FieldError className="field-error">{fieldState.error?.message}</FieldError>
    </TextField>
  );
}

export interface ChoiceOption {
  value: string;
  label: string;
  description?: ReactNode;
}

/** One of a few choices, each with a sentence that explains it (privilege, sign-in method...). */
export function ChoiceField<T extends FieldValues>({ control, name, label, description, isDisabled, className, options, orientation = 'vertical' }: BaseFieldProps<T> & { options: readonly ChoiceOption[]; orientation?: 'vertical' | 'horizontal' }) {
  const { field, fieldState } = useController({ control, name });
  return (
    <RadioGroup
      className={['field choice-field', className].filter(Boolean).join(' ')}
      name={field.name}
      value={typeof field.value === 'string' ? field.value : null}
      onChange={field.onChange}
      isInvalid={fieldState.invalid}
      isDisabled={isDisabled ?? false}
      validationBehavior="aria"
      orientation={orientation}
    >
      <Label className="field-label">{label}</Label>
      {description ? (
        <Text slot="description" className="field-description">
          {description}
        </Text>
      ) : null}
      <div className={`choices choices-${orientation}`}>
        {options.map((option) => (
          <Radio key={option.value} value={option.value} className="choice">
            <span className="choice-mark" aria-hidden="true" />
            <span className="choice-text">
              <span className="choice-label">{option.label}</span>
              {option.description ? <span className="choice-description">{option.description}</span> : null}
            </span>
          </Radio>
        ))}
      </div>
      <FieldError className="field-error">{fieldState.error?.message}</FieldError>
    </RadioGroup>
  );
}
