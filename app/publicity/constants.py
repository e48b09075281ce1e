from __future__ import annotations

from enum import StrEnum


class ObjectionStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    INVESTIGATING = "investigating"
    UPHELD = "upheld"
    NOT_UPHELD = "not_upheld"


OBJECTION_LABELS = {
    ObjectionStatus.RECEIVED: "已收到",
    ObjectionStatus.ACCEPTED: "已受理",
    ObjectionStatus.NOT_ACCEPTED: "不予受理",
    ObjectionStatus.INVESTIGATING: "调查核实中",
    ObjectionStatus.UPHELD: "异议成立",
    ObjectionStatus.NOT_UPHELD: "异议不成立",
}

# received → accepted | not_accepted → investigating → upheld | not_upheld
DECISIONS: dict[ObjectionStatus, tuple[ObjectionStatus, ...]] = {
    ObjectionStatus.RECEIVED: (ObjectionStatus.ACCEPTED, ObjectionStatus.NOT_ACCEPTED),
    ObjectionStatus.ACCEPTED: (ObjectionStatus.INVESTIGATING,),
    ObjectionStatus.INVESTIGATING: (ObjectionStatus.UPHELD, ObjectionStatus.NOT_UPHELD),
    ObjectionStatus.NOT_ACCEPTED: (),
    ObjectionStatus.UPHELD: (),
    ObjectionStatus.NOT_UPHELD: (),
}

SETTLED = frozenset({ObjectionStatus.NOT_ACCEPTED, ObjectionStatus.UPHELD, ObjectionStatus.NOT_UPHELD})
OPEN = frozenset({ObjectionStatus.RECEIVED, ObjectionStatus.ACCEPTED, ObjectionStatus.INVESTIGATING})

DEFAULT_OFFICE = "长春市碳中和研究院（低碳排放示范区工作专班办公室）"

DEFAULT_POLICY = (
    "公示期间，任何单位和个人对公示项目有异议的，可通过本小程序“我要提异议”提交书面意见。"
    "异议须署真实姓名并提供联系电话；单位提出异议的，须写明单位名称和联系人。匿名异议不予受理。"
    "异议内容应当客观真实，可附不超过 9 张证明图片。提交后即获得受理回执编号，"
    "处理进展与书面答复将在“我的异议”中查看，并通过微信订阅消息通知。"
)


class NoticeState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
