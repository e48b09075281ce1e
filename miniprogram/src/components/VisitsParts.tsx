/** Pieces the visits pages share: a labelled text field with its error, a row of choice chips, a QR image. */
import { Image, Input, Text, View } from '@tarojs/components'
import { inputLabel, phoneInput, pressable } from './a11y'
import { FieldError } from './Status'

const H5 = process.env.TARO_ENV === 'h5'

export function TextField(props: {
  label: string
  value: string
  onInput: (value: string) => void
  error?: string
  placeholder?: string
  /** `phone`: the phone keypad on h5 (type=tel, inputmode=tel), keeping "+86" and spaces. */
  type?: 'text' | 'number' | 'idcard' | 'phone'
  maxlength?: number
}) {
  const typed = props.type === 'phone' ? phoneInput(props.label) : { type: props.type ?? 'text', ...inputLabel(props.label) }
  return (
    <View className='field'>
      <Text className='field__label'>{props.label}</Text>
      <Input
        className='input'
        value={props.value}
        maxlength={props.maxlength ?? 140}
        placeholder={props.placeholder}
        {...typed}
        onInput={(e) => props.onInput(e.detail.value)}
      />
      <FieldError message={props.error} />
    </View>
  )
}

export function Chips<T extends string>(props: {
  label: string
  options: { code: T; label: string }[]
  value: T
  onChange: (value: T) => void
}) {
  return (
    <View className='field'>
      <Text className='field__label'>{props.label}</Text>
      <View>
        {props.options.map((option) => (
          <Text
            key={option.code}
            className={`chip${option.code === props.value ? ' chip--on' : ''}`}
            {...pressable(`${props.label}：${option.label}`, { pressed: option.code === props.value })}
            onClick={() => props.onChange(option.code)}
          >
            {option.label}
          </Text>
        ))}
      </View>
    </View>
  )
}

/** A PNG from the service (base64), with its text alternative on h5 (alt) and weapp (aria-label). */
export function QrImage({ base64, label }: { base64: string; label: string }) {
  const named = H5 ? { nativeProps: { alt: label } } : { 'aria-label': label }
  return <Image className='qr' src={`data:image/png;base64,${base64}`} mode='aspectFit' {...named} />
}
